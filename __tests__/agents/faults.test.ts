import fs from 'node:fs';
import path from 'node:path';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import type { AgentStatus } from '../../src/result.js';
import { renderSummary } from '../../src/report/summary.js';
import { PRICES } from '../../src/model/pricing.js';
import { stateOfRecords } from '../../src/run-state.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { ScriptedTurn } from '../../support/script.js';

const healthy: ScriptedTurn[] = [
  { tools: [{ name: 'read', input: { file_path: 'README.md' } }] },
  { tools: [{ name: 'write', input: { file_path: 'notes.md', content: 'done\n' } }] },
  { text: 'All done.' },
];

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer();
});
afterAll(() => server.close());

/** A faulty agent (FLT-2) between two healthy ones, run together. */
async function runWithFault(
  faulty: ScriptedTurn[],
  options: { timeoutMs?: number; before?: (root: string) => void } = {},
) {
  server.requests.length = 0;
  server.setScripts({ 'FLT-1': healthy, 'FLT-2': faulty, 'FLT-3': healthy });
  const repo = makeRepo({ 'README.md': '# Faults\n' });
  const root = path.join(tempDir(), 'worktrees');
  options.before?.(root);
  const events = new EventStream();
  const seen: AgentEvent[] = [];
  events.on((e) => isAgentEvent(e) && seen.push(e));
  const results = await runAgentsAgainst(
    server.url,
    ['FLT-1', 'FLT-2', 'FLT-3'].map((id) => taskOf(id)),
    {
      repo,
      root,
      events,
      timeoutMs: options.timeoutMs ?? 30_000,
    },
  );
  const state = stateOfRecords({ results, concurrency: 3, source: 'a loopback run' }, PRICES);
  const summary = renderSummary(state, { model: 'claude-sonnet-4-6' });
  return { results, seen, summary };
}

describe('a fault ends one agent at most, never the run', () => {
  it.each<[string, ScriptedTurn[], AgentStatus, RegExp | null]>([
    [
      'HTTP 429 with retry-after, twice',
      [{ fault: { kind: 'http', status: 429, retryAfter: 0.2, times: 2 } }, ...healthy],
      'succeeded',
      null,
    ],
    [
      'HTTP 529 overloaded, once',
      [{ fault: { kind: 'http', status: 529, retryAfter: 0.1, times: 1 } }, ...healthy],
      'succeeded',
      null,
    ],
    [
      'HTTP 500 on every request',
      [{ fault: { kind: 'http', status: 500, message: 'Internal server error' } }],
      'failed',
      /^InternalServerError \(HTTP 500\): Internal server error$/,
    ],
    [
      'a mid-stream error event, once',
      [healthy[0]!, { ...healthy[1]!, fault: { kind: 'stream-error', times: 1 } }, healthy[2]!],
      'succeeded',
      null,
    ],
    [
      'a mid-stream error event, every time',
      [healthy[0]!, { fault: { kind: 'stream-error', message: 'Overloaded' } }],
      'failed',
      /Overloaded/,
    ],
    [
      'a dropped connection mid-stream, once',
      [healthy[0]!, { ...healthy[1]!, fault: { kind: 'drop', times: 1 } }, healthy[2]!],
      'succeeded',
      null,
    ],
    [
      'a tool that fails',
      [
        { tools: [{ name: 'read', input: { file_path: 'no/such/file.ts' } }] },
        { text: 'Could not read it; stopping.' },
      ],
      'succeeded',
      null,
    ],
  ])('%s', async (_, faulty, status, error) => {
    const { results, summary } = await runWithFault(faulty);
    expect(results.map((r) => r.status)).toEqual(['succeeded', status, 'succeeded']);
    if (error) {
      expect(results[1]!.error).toMatch(error);
      expect(summary).toContain(results[1]!.error!.split(':')[0]);
    }
    // The healthy agents' work is on their branches whatever happened to FLT-2.
    expect(results.filter((r) => r.id !== 'FLT-2').every((r) => r.filesChanged.includes('notes.md'))).toBe(
      true,
    );
  });

  it('sends the turn again after a reply that broke off, and says so', async () => {
    const { seen } = await runWithFault([
      healthy[0]!,
      { ...healthy[1]!, fault: { kind: 'stream-error', times: 1 } },
      healthy[2]!,
    ]);
    const retries = seen.filter((e) => e.type === 'retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ task: 'FLT-2', attempt: 1 });
  });

  it('ends a hanging agent at its timeout', async () => {
    // Long enough that the healthy agents finish well inside it on a busy machine; the hanging one waits it out.
    const { results } = await runWithFault([{ fault: { kind: 'hang' } }], { timeoutMs: 3000 });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'timeout', 'succeeded']);
    expect(results[1]!.error).toBe('stopped after 3 s (timeout-minutes)');
  });

  it('fails the agent whose worktree git cannot make, and no other', async () => {
    const { results, summary } = await runWithFault(healthy, {
      // Something already sits where FLT-2's worktree goes.
      before: (root) => {
        fs.mkdirSync(path.join(root, 'flt-2'), { recursive: true });
        fs.writeFileSync(path.join(root, 'flt-2', 'occupied'), '');
      },
    });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(results[1]!.error).toMatch(/^WorktreeError: \S+flt-2 already exists and is not empty/);
    expect(summary).toContain('WorktreeError: ');
  });

  it('still reports the turn limit when a reply broke off on the way', async () => {
    const many: ScriptedTurn[] = Array.from({ length: 6 }, () => ({
      tools: [{ name: 'read' as const, input: { file_path: 'README.md' } }],
    }));
    many[1] = { ...many[1]!, fault: { kind: 'stream-error', times: 1 } };
    server.requests.length = 0;
    server.setScripts({ 'FLT-9': many });
    const [result] = await runAgentsAgainst(server.url, [taskOf('FLT-9')], { maxTurns: 3, tools: ['read'] });
    expect(result!.status).toBe('turn-limit');
  });
});
