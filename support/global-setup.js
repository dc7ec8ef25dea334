import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

/**
 * Gives the run a temporary directory of its own, which every test's temporary files, repositories and runner
 * folders go under (through `TMPDIR`, which the workers and what they start inherit): `global-teardown.js` deletes it.
 * JavaScript, so that jest loads it without loading the TypeScript compiler first.
 */
export default function setup() {
  process.env.TMPDIR = mkdtempSync(path.join(os.tmpdir(), 'pa-tests-'));
}
