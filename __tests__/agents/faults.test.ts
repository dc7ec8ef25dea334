import fs from 'node:fs';
import path from 'node:path';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import type { AgentResult, AgentStatus } from '../../src/result.js';
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

/** Each fault, the script of one agent that meets it, what that agent ends as, and its error. */
const FAULTS: [string, ScriptedTurn[], AgentStatus, RegExp | null][] = [
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
];
/** The agent that meets the fault at `index` of FAULTS. */
const faulty = (index: number) => `FLT-${11 + index}`;

describe('a fault ends one agent at most, never the run', () => {
  /** Every fault at once, each met by an agent of its own, between two healthy agents: one run for all the cases. */
  let all: { results: Map<string, AgentResult>; seen: AgentEvent[]; summary: string };
  beforeAll(async () => {
    server.requests.length = 0;
    server.setScripts({
      'FLT-1': healthy,
      'FLT-3': healthy,
      ...Object.fromEntries(FAULTS.map(([, script], i) => [faulty(i), script])),
    });
    const events = new EventStream();
    const seen: AgentEvent[] = [];
    events.on((e) => isAgentEvent(e) && seen.push(e));
    const ids = ['FLT-1', ...FAULTS.map((_, i) => faulty(i)), 'FLT-3'];
    const results = await runAgentsAgainst(
      server.url,
      ids.map((id) => taskOf(id)),
      { repo: makeRepo({ 'README.md': '# Faults\n' }), events, timeoutMs: 30_000 },
    );
    const state = stateOfRecords({ results, concurrency: ids.length, source: 'a loopback run' }, PRICES);
    all = {
      results: new Map(results.map((r) => [r.id, r])),
      seen,
      summary: renderSummary(state, { model: 'claude-sonnet-4-6' }),
    };
  });

  it.each(FAULTS.map((fault, i) => [...fault, i] as const))('%s', (_, _script, status, error, i) => {
    const result = all.results.get(faulty(i))!;
    expect(result.status).toBe(status);
    if (error) {
      expect(result.error).toMatch(error);
      expect(all.summary).toContain(result.error!.split(':')[0]);
    }
  });

  it("leaves the healthy agents' work on their branches, whatever the others met", () => {
    for (const id of ['FLT-1', 'FLT-3']) {
      expect(all.results.get(id)).toMatchObject({ status: 'succeeded', filesChanged: ['notes.md'] });
    }
  });

  it('sends the turn again after a reply that broke off, and says so', () => {
    const broken = faulty(FAULTS.findIndex(([name]) => name === 'a mid-stream error event, once'));
    const retries = all.seen.filter((e) => e.type === 'retry' && e.task === broken);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ task: broken, attempt: 1 });
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
