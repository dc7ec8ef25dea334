import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../src/events.js';
import type { Reporter } from '../../src/run.js';
import { git, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runInProcess } from '../../support/run-in-process.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-inProcessSECRETkey0123456789';

const TASKS = `The gateway is plain JavaScript.

- BAC-1: Add a changelog
- BAC-2: Document the router
  depends on: BAC-1
- BAC-3: Note the licence
`;

const SCRIPTS: Scripts = {
  'BAC-1': [
    { tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content: '# Changelog\n' } }] },
    { text: 'Added CHANGELOG.md.' },
  ],
  'BAC-2': [
    { tools: [{ name: 'write', input: { file_path: 'docs/router.md', content: '# Router\n' } }] },
    { text: 'Documented the router.' },
  ],
  'BAC-3': [{ tools: [{ name: 'read', input: { file_path: 'README.md' } }] }, { text: 'Nothing to change.' }],
};

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 20 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setScripts(SCRIPTS);
});

const repo = () => makeRepo({ 'README.md': '# Gateway\n' });
const inputs = (extra: Record<string, string> = {}) => ({
  'anthropic-api-key': API_KEY,
  'anthropic-base-url': server.url,
  tasks: TASKS,
  ...extra,
});
const auditOf = (workspace: string): RunEvent[] =>
  fs
    .readFileSync(path.join(workspace, 'parallel-agents-results/run-local-1/audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunEvent);
const warnings = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::warning::'));

describe('run(), in this process', () => {
  it('runs the agents and derives outputs, summary and audit log from one event stream', async () => {
    const workspace = repo();
    const run = await runInProcess({ workspace, inputs: inputs({ 'max-concurrency': '2' }) });
    expect(run.code).toBe(0);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string; turns: number }[];
    expect(results.map((r) => [r.id, r.status, r.turns])).toEqual([
      ['BAC-1', 'succeeded', 2],
      ['BAC-2', 'succeeded', 2],
      ['BAC-3', 'succeeded', 2],
    ]);
    expect(run.outputs.succeeded).toBe('3');
    expect(Number(run.outputs['sequential-seconds'])).toBeGreaterThan(0);
    expect(run.outputs['cost-usd']).toMatch(/^\d+\.\d{4}$/);
    expect(run.summary.startsWith('## ✅ parallel-agents: 3/3 tasks succeeded')).toBe(true);
    expect(run.stdout).toMatch(/3\/3 running|0\/3 running · 3 done · \$\d+\.\d\d/);

    const audit = auditOf(workspace);
    expect(audit[0]!.type).toBe('run-started');
    expect(audit.at(-1)!.type).toBe('run-ended');
    expect(audit.filter((e) => e.type === 'ended').map((e) => 'task' in e && e.task)).toHaveLength(3);
    expect(JSON.stringify(audit)).not.toContain(API_KEY);
    // A dependency starts after what it depends on has ended.
    const at = (type: string, task: string) =>
      audit.find((e) => e.type === type && 'task' in e && e.task === task)!.at;
    expect(at('started', 'BAC-2')).toBeGreaterThanOrEqual(at('ended', 'BAC-1'));
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:CHANGELOG.md')).toBe('# Changelog');
  });

  it("stages an agent's changes while its last reply is on its way, so that its end only commits them", async () => {
    server.setScripts({
      'BAC-1': [
        { tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content: '# Changelog\n' } }] },
        { text: 'Added CHANGELOG.md.', latencyMs: 400 },
      ],
    });
    // Git's own record of every git process, with when it started, from the global config the action's git reads.
    const home = tempDir('pa-home-');
    const trace = path.join(home, 'trace.json');
    fs.writeFileSync(path.join(home, '.gitconfig'), `[trace2]\n\teventTarget = ${trace}\n`);
    const workspace = repo();
    const run = await runInProcess({
      workspace,
      inputs: inputs({ tasks: '- BAC-1: Add a changelog\n' }),
      env: { HOME: home },
    });
    expect(run.code).toBe(0);

    // The git commands run in the agent's worktree, by name, with when each started.
    const commands = fs
      .readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; time: string; argv?: string[] })
      .filter((e) => e.event === 'start' && e.argv?.some((a) => a.includes('/worktrees/bac-1')))
      .map((e) => ({
        name: e.argv!.slice(1).find((a) => !a.startsWith('-') && !a.includes('=')),
        at: Date.parse(e.time),
      }));
    const lastReply = server.requests.filter((r) => r.task === 'BAC-1').at(-1)!;
    const name = (c: { name?: string }) => c.name;
    // The worktree's add (its small tree checked out with it) and removal, the staging, the commit: with only the file
    // tools, nothing else could have moved the branch, so git is not asked whether it still holds its base.
    expect(commands.map(name)).toEqual(['worktree', 'add', 'diff', 'commit', 'worktree']);
    const add = commands.find((c) => name(c) === 'add');
    const commit = commands.find((c) => name(c) === 'commit');
    expect(add!.at).toBeLessThan(lastReply.endedAt);
    expect(commit!.at).toBeGreaterThanOrEqual(lastReply.endedAt - 5);
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:CHANGELOG.md')).toBe('# Changelog');
  });

  it('keeps going when a reporter throws on every event: one warning, every other output right', async () => {
    const workspace = repo();
    let calls = 0;
    const broken: Reporter = (events) => {
      events.on(() => {
        calls += 1;
        throw new Error('this reporter is broken');
      });
    };
    const run = await runInProcess({ workspace, inputs: inputs(), reporters: [broken] });
    expect(run.code).toBe(0);
    expect(calls).toBe(1);
    expect(warnings(run.stdout)).toEqual([
      '::warning::A reporter failed and was dropped: this reporter is broken',
    ]);
    expect(run.outputs.succeeded).toBe('3');
    expect(run.summary).toContain('| **BAC-3** | Note the licence | ✅ succeeded |');
    expect(auditOf(workspace).at(-1)!.type).toBe('run-ended');
  });

  it('records a 429 and a budget stop in the audit log', async () => {
    server.setScripts({
      ...SCRIPTS,
      'BAC-1': [
        { ...SCRIPTS['BAC-1']![0]!, fault: { kind: 'http', status: 429, retryAfter: 0.05, times: 1 } },
      ],
    });
    const workspace = repo();
    const run = await runInProcess({
      workspace,
      inputs: inputs({ 'max-cost-usd': '0.000001', 'max-concurrency': '1' }),
    });
    const audit = auditOf(workspace);
    expect(audit.filter((e) => e.type === 'throttled')).toEqual([
      expect.objectContaining({ status: 429, waitMs: 50 }),
    ]);
    expect(audit.filter((e) => e.type === 'stopping')).toEqual([
      expect.objectContaining({
        reason: 'budget',
        detail: 'max-cost-usd ($0.000001) reached: stopping every agent',
      }),
    ]);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string }[];
    expect(results.map((r) => r.status)).toEqual(['budget', 'budget', 'budget']);
    expect(run.code).toBe(1);
    expect(warnings(run.stdout)).toContain(
      '::warning::max-cost-usd ($0.000001) reached: stopping every agent',
    );
  });

  it('survives two SIGINTs: every agent stops, its work is kept, the reports are written', async () => {
    server.setScripts({
      'BAC-1': [
        { tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content: '# Changelog\n' } }] },
        { text: 'slow', latencyMs: 5_000 },
      ],
      'BAC-3': [{ text: 'slow', latencyMs: 5_000 }],
    });
    const workspace = repo();
    const signals = new EventEmitter();
    const cancelOnSecondTurn: Reporter = (events) => {
      events.on((event) => {
        if (event.type === 'tool-result') {
          setTimeout(() => {
            signals.emit('SIGINT', 'SIGINT');
            signals.emit('SIGINT', 'SIGINT');
          }, 50);
        }
      });
    };
    const run = await runInProcess({ workspace, inputs: inputs(), signals, reporters: [cancelOnSecondTurn] });
    expect(run.code).toBe(1);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string }[];
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:CHANGELOG.md')).toBe('# Changelog');
    const stops = auditOf(workspace).filter((e) => e.type === 'stopping');
    expect(stops).toEqual([
      expect.objectContaining({ reason: 'cancelled', detail: 'SIGINT received: cancelling every agent' }),
    ]);
    expect(run.stdout).toContain(
      '::error::The run was cancelled; the summary and outputs cover what finished',
    );
    expect(run.summary).toContain('cancelled');
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('keeps listening for signals while it writes the reports, and a signal then changes no outcome', async () => {
    const workspace = repo();
    const signals = new EventEmitter();
    let listening = -1;
    // Closed once every agent has ended: a cancelled job's signal arriving while the reports are written.
    const signalAtClose: Reporter = () => ({
      close: async () => {
        listening = signals.listenerCount('SIGTERM');
        signals.emit('SIGTERM', 'SIGTERM');
      },
    });
    const run = await runInProcess({ workspace, inputs: inputs(), signals, reporters: [signalAtClose] });
    expect(listening).toBe(1);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'SIGTERM received: every agent has ended; the step ends once its reports are written',
    );
    expect(run.stdout).not.toContain('::error::');
    expect(run.summary.startsWith('## ✅ parallel-agents: 3/3 tasks succeeded')).toBe(true);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('checks every input before it writes anything or calls a model', async () => {
    const workspace = repo();
    const run = await runInProcess({
      workspace,
      inputs: inputs({ model: 'claude-unknown-9', 'max-cost-usd': '1' }),
    });
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(
      '::error::input `max-cost-usd`: needs a price for the model "claude-unknown-9", and none is known. Give its price in `pricing`, e.g. {"claude-unknown-9":{"input":3,"output":15}}',
    );
    expect(run.summary).toBe('');
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(path.join(workspace, 'parallel-agents-results'))).toBe(false);
  });

  it('plans without a key or a model call, and runs one shard of the plan', async () => {
    const workspace = repo();
    const plan = await runInProcess({ workspace, inputs: { tasks: TASKS, mode: 'plan', 'max-shards': '2' } });
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.outputs.matrix!)).toEqual({
      include: [
        { shard: '1', tasks: 'BAC-1,BAC-2', plan: expect.stringContaining('"ids":["BAC-1","BAC-2"]') },
        { shard: '2', tasks: 'BAC-3', plan: expect.stringContaining('"ids":["BAC-3"]') },
      ],
    });
    expect(plan.summary).toContain('## parallel-agents plan');
    expect(server.requests).toHaveLength(0);

    const shard = await runInProcess({ workspace, inputs: inputs({ shard: '2', 'max-shards': '2' }) });
    expect(shard.code).toBe(0);
    expect((JSON.parse(shard.outputs.results!) as { id: string }[]).map((r) => r.id)).toEqual(['BAC-3']);
    expect(
      fs.existsSync(path.join(workspace, 'parallel-agents-results/run-local-1-shard-2/audit.jsonl')),
    ).toBe(true);

    const missing = await runInProcess({ workspace, inputs: inputs({ shard: '5', 'max-shards': '2' }) });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('::error::input `shard`: shard 5 does not exist: the plan has 2.');
  });

  it('names a failure it did not expect in one line, without a stack trace', async () => {
    const run = await runInProcess({
      workspace: tempDir(),
      inputs: inputs({ 'results-dir': '/dev/null/x' }),
    });
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toMatch(/\n\s+at /);
  });

  it('warns about a credential persisted in the checkout when agents get an unsandboxed shell', async () => {
    const workspace = repo();
    git(workspace, 'config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic abc');
    server.setScripts({ 'BAC-1': [{ text: 'Done.' }] });
    const run = await runInProcess({
      workspace,
      inputs: inputs({ tasks: '- BAC-1: Look', 'allowed-tools': 'read,bash', sandbox: 'none' }),
    });
    expect(warnings(run.stdout).join('\n')).toContain('persisted in .git/config');
    expect(run.summary).toContain('persisted in .git/config');
    expect(run.summary).toContain('`sandbox: none`');
  });

  it('refuses bash in one line, before anything is written, when the sandbox cannot start', async () => {
    server.setScripts({ 'BAC-1': [{ text: 'Done.' }] });
    const run = await runInProcess({
      workspace: repo(),
      inputs: inputs({ tasks: '- BAC-1: Look', 'allowed-tools': 'read,bash' }),
      // A PATH with git on it and no bwrap.
      env: { PATH: pathWithOnly('git') },
    });
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toEqual([expect.stringContaining('bubblewrap (`bwrap`) is not installed')]);
    expect(errors[0]).toContain('sudo apt-get install -y bubblewrap');
    expect(errors[0]).toContain('`sandbox: none`');
    expect(run.summary).toBe('');
    expect(server.requests).toHaveLength(0);
  });
});

/** A directory holding links to these programs alone, as found on this PATH. */
function pathWithOnly(...programs: string[]): string {
  const dir = tempDir('pa-path-');
  for (const program of programs) {
    const found = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
    fs.symlinkSync(found, path.join(dir, program));
  }
  return dir;
}
