/** The bundled example, as `npm run demo` runs it and its test checks it: the inputs and a fresh copy of the repo. */
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo } from './git-repo.js';
import { ROOT } from './run-action.js';
import type { Scripts } from './script.js';

/** The scripted sessions of the demo's three agents, for the loopback model server. */
export function demoSessions(): Scripts {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/demo-sessions.json'), 'utf8')) as Scripts;
}

/** A git repository at `dir` holding a copy of examples/demo-repo, with `extra` files committed beside it. */
export function demoRepo(dir: string, extra: Record<string, string> = {}): string {
  fs.cpSync(path.join(ROOT, 'examples/demo-repo'), dir, { recursive: true });
  return makeRepo(extra, dir);
}

/** The demo repository's `npm test` without npm (whose own start is about a second a check): its `test` script. */
export const DEMO_TEST_COMMAND = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/demo-repo/package.json'), 'utf8')) as {
    scripts: { test: string };
  }
).scripts.test;

/** The step's inputs: the tasks of examples/demo-tasks.md, checked with the demo repository's `npm test`. */
export function demoInputs(endpoint: { apiKey: string; baseUrl?: string }): Record<string, string> {
  return {
    'anthropic-api-key': endpoint.apiKey,
    ...(endpoint.baseUrl ? { 'anthropic-base-url': endpoint.baseUrl } : {}),
    tasks: fs.readFileSync(path.join(ROOT, 'examples/demo-tasks.md'), 'utf8'),
    'max-concurrency': '3',
    'timeout-minutes': '10',
    // The demo repository's own check, run on each agent's work and once on the merge of all of them.
    verify: 'npm test',
  };
}
