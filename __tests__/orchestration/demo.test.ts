import type { AgentResult } from '../../src/result.js';
import { demoInputs, demoRepo, demoSessions } from '../../support/demo.js';
import { tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runInProcess } from '../../support/run-in-process.js';
import type { Scripts } from '../../support/script.js';

/** The demo's sessions without their think time: the same turns, sooner. */
function quick(scripts: Scripts): Scripts {
  return Object.fromEntries(
    Object.entries(scripts).map(([id, turns]) => [id, turns.map(({ latencyMs: _, ...turn }) => turn)]),
  );
}

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ scripts: quick(demoSessions()) });
});
afterAll(() => server.close());

describe('npm run demo', () => {
  it('checks every agent with the demo repository’s npm test, shows the column, and verifies the merge', async () => {
    const inputs = demoInputs({ apiKey: 'demo-key', baseUrl: server.url });
    expect(inputs.verify).toBe('npm test');
    const run = await runInProcess({ workspace: demoRepo(tempDir('pa-demo-')), inputs });

    expect(run.code).toBe(0);
    const results = JSON.parse(run.outputs.results!) as AgentResult[];
    expect(results.map((r) => [r.id, r.status, r.verification?.passed, r.verification?.fixUps])).toEqual([
      ['BAC-117', 'succeeded', true, 0],
      ['BAC-124', 'succeeded', true, 1],
      ['BAC-131', 'succeeded', true, 0],
    ]);
    // BAC-124's first try breaks one of its own new tests; the fix-up turn puts it right.
    expect(results[1]!.verification!.runs[0]!.outputTail).toContain('expected: /no provider for model');
    expect(results.map((r) => r.agentReport?.outcome)).toEqual(['done', 'done', 'done']);

    const table = run.summary.split('\n').filter((l) => l.startsWith('| '));
    expect(table[0]).toContain('| Status | Agent says | Verified |');
    expect(table.find((l) => l.startsWith('| **BAC-124**'))).toContain(
      '| ✅ succeeded | done | ✅ verified after 1 fix-up |',
    );
    expect(run.summary).toContain(
      '✅ `npm test` passes on the merge of **BAC-117**, **BAC-124**, **BAC-131**',
    );
    expect(run.stdout).toContain('[BAC-124] ❌ failed verification: `npm test` exited 1 after');
  });
});
