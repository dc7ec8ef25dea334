import pLimit from 'p-limit';
import * as core from '@actions/core';
it('runs on node 24 with ESM deps', () => {
  expect(process.versions.node.split('.')[0]).toBe('24');
  expect(typeof pLimit(1)).toBe('function');
  expect(typeof core.getInput).toBe('function');
});
