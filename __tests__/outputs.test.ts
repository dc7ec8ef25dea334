import { failureReason } from '../src/outputs.js';
import { notStarted, type AgentResult, type AgentStatus } from '../src/result.js';
import type { FailOn } from '../src/settings.js';

function result(id: string, status: AgentStatus): AgentResult {
  return { ...notStarted({ id, title: `Task ${id}` }, 'failed', 'why', 'claude-sonnet-4-6'), status };
}

const NONE_FAILED = [
  result('BAC-1', 'succeeded'),
  result('BAC-2', 'succeeded'),
  result('BAC-3', 'succeeded'),
];
const ONE_FAILED = [result('BAC-1', 'succeeded'), result('BAC-2', 'failed'), result('BAC-3', 'succeeded')];
// Every status but `succeeded` counts as not succeeding, each named as it is.
const ALL_FAILED = [result('BAC-1', 'failed'), result('BAC-2', 'timeout'), result('BAC-3', 'turn-limit')];

const RUNS = { none: NONE_FAILED, one: ONE_FAILED, all: ALL_FAILED };

describe('failureReason', () => {
  it.each<[FailOn, keyof typeof RUNS, string | null]>([
    ['any', 'none', null],
    ['any', 'one', '1 of 3 agents did not succeed (BAC-2 failed); fail-on: any'],
    [
      'any',
      'all',
      '3 of 3 agents did not succeed (BAC-1 failed, BAC-2 timeout, BAC-3 turn-limit); fail-on: any',
    ],
    ['all', 'none', null],
    ['all', 'one', null],
    [
      'all',
      'all',
      '3 of 3 agents did not succeed (BAC-1 failed, BAC-2 timeout, BAC-3 turn-limit); fail-on: all',
    ],
    ['none', 'none', null],
    ['none', 'one', null],
    ['none', 'all', null],
  ])('under fail-on: %s, with %s of three agents failed, gives %j', (failOn, run, expected) => {
    expect(failureReason(RUNS[run], failOn)).toBe(expected);
  });

  it.each<FailOn>(['any', 'all', 'none'])('passes a run with no results under fail-on: %s', (failOn) => {
    expect(failureReason([], failOn)).toBeNull();
  });
});
