import fs from 'node:fs';
import path from 'node:path';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import type { AgentResult } from '../../src/result.js';
import type { Task } from '../../src/tasks/task.js';
import { git, gitTrace, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { ScriptedTurn, Scripts } from '../../support/script.js';

const task = taskOf;

const threeTurns: ScriptedTurn[] = [
  { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 80 },
  { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 80 },
  { text: 'Done.', latencyMs: 80 },
];

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer();
});
afterAll(() => server.close());

async function run(tasks: Task[], scripts: Scripts, maxConcurrency = 10, extra: { maxShells?: number } = {}) {
  server.requests.length = 0;
  server.setScripts(scripts);
  const events = new EventStream();
  const seen: AgentEvent[] = [];
  events.on((e) => isAgentEvent(e) && seen.push(e));
  const results = await runAgentsAgainst(server.url, tasks, {
    maxConcurrency,
    tools: ['read', 'bash'],
    events,
    ...extra,
  });
  return { results, seen };
}

/** First request's arrival to last response's end, per task, from the server's own records. */
function span(id: string): [number, number] {
  const mine = server.requests.filter((r) => r.task === id);
  return [Math.min(...mine.map((r) => r.startedAt)), Math.max(...mine.map((r) => r.endedAt))];
}
const overlap = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];
const statuses = (results: AgentResult[]) => results.map((r) => [r.id, r.status]);

describe('runTasks', () => {
  it('runs tasks in dependency order, never runs conflicting tasks at once, and runs the rest together', async () => {
    const tasks = [
      task('SCH-1'),
      task('SCH-2', { dependsOn: ['SCH-1'] }),
      task('SCH-3', { paths: ['src/gateway/**'] }),
      task('SCH-4', { paths: ['src/gateway/router.ts'] }),
      task('SCH-5'),
    ];
    // SCH-1 takes longer, so the tasks that do not wait for it clearly run alongside it.
    const scripts = {
      ...Object.fromEntries(tasks.map((t) => [t.id, threeTurns])),
      'SCH-1': [...threeTurns.slice(0, 2), ...threeTurns],
    };
    const { results } = await run(tasks, scripts);
    expect(statuses(results)).toEqual(tasks.map((t) => [t.id, 'succeeded']));
    expect(span('SCH-2')[0]).toBeGreaterThanOrEqual(span('SCH-1')[1]);
    expect(overlap(span('SCH-3'), span('SCH-4'))).toBe(false);
    expect(overlap(span('SCH-1'), span('SCH-5'))).toBe(true);
    expect(overlap(span('SCH-3'), span('SCH-5'))).toBe(true);
  });

  it('skips the dependents of a failed task, with the reason, and finishes the others', async () => {
    const tasks = [
      task('SKP-1'),
      task('SKP-2', { dependsOn: ['SKP-1'] }),
      task('SKP-3', { dependsOn: ['SKP-2'] }),
      task('SKP-4'),
    ];
    const { results, seen } = await run(tasks, {
      'SKP-1': [{ fault: { kind: 'http', status: 400, message: 'prompt is too long' } }],
      'SKP-2': threeTurns,
      'SKP-3': threeTurns,
      'SKP-4': threeTurns,
    });
    expect(statuses(results)).toEqual([
      ['SKP-1', 'failed'],
      ['SKP-2', 'skipped'],
      ['SKP-3', 'skipped'],
      ['SKP-4', 'succeeded'],
    ]);
    expect(results[1]!.error).toBe('skipped: SKP-1 failed');
    expect(results[2]!.error).toBe('skipped: SKP-2 was skipped');
    expect(server.requests.some((r) => r.task === 'SKP-2' || r.task === 'SKP-3')).toBe(false);
    expect(
      seen
        .filter((e) => e.type === 'ended')
        .map((e) => e.task)
        .sort(),
    ).toEqual(['SKP-1', 'SKP-2', 'SKP-3', 'SKP-4']);
  });

  it('gives a task its own model', async () => {
    const tasks = [task('MOD-1', { model: 'claude-opus-4-6' }), task('MOD-2')];
    const { results } = await run(tasks, { 'MOD-1': [{ text: 'ok' }], 'MOD-2': [{ text: 'ok' }] });
    expect(results.map((r) => r.model)).toEqual(['claude-opus-4-6', 'claude-sonnet-4-6']);
    expect(server.requests.map((r) => [r.task, r.model]).sort()).toEqual([
      ['MOD-1', 'claude-opus-4-6'],
      ['MOD-2', 'claude-sonnet-4-6'],
    ]);
  });

  it('runs at most maxShells shell commands at once across all agents', async () => {
    const log = path.join(tempDir(), 'shells.log');
    const tasks = ['SH-1', 'SH-2', 'SH-3', 'SH-4'].map((id) => task(id));
    // Each command notes its own start and end, so what is measured is the shell, not the wait for it; the first two
    // wait (up to 5 s) until two have started, so two at once is seen however the agents' starts spread.
    const command = [
      `echo start >> ${log}`,
      `n=0; while [ "$(grep -c start ${log})" -lt 2 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done`,
      'sleep 0.2',
      `echo end >> ${log}`,
    ].join('; ');
    const sleepy: ScriptedTurn[] = [{ tools: [{ name: 'bash', input: { command } }] }, { text: 'Slept.' }];
    const { results } = await run(tasks, Object.fromEntries(tasks.map((t) => [t.id, sleepy])), 4, {
      maxShells: 2,
    });
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    let running = 0;
    let most = 0;
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    for (const line of lines) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(lines).toHaveLength(8);
    expect(most).toBe(2);
  });
});

describe('runTasks with more tasks than slots', () => {
  it("makes the next task's worktree while the one before works, and leaves no worktree behind", async () => {
    const repo = makeRepo({ 'README.md': '# A repository\n' });
    const tasks = [task('AHD-1'), task('AHD-2'), task('AHD-3')];
    server.requests.length = 0;
    const writes = (id: string): ScriptedTurn[] => [
      { tools: [{ name: 'write', input: { file_path: `${id}.md`, content: `${id}\n` } }], latencyMs: 80 },
      { text: 'Done.', latencyMs: 80 },
    ];
    server.setScripts(Object.fromEntries(tasks.map((t) => [t.id, writes(t.id)])));
    let results: AgentResult[] = [];
    const trace = await gitTrace(async () => {
      results = await runAgentsAgainst(server.url, tasks, { repo, maxConcurrency: 1 });
    });

    expect(statuses(results)).toEqual(tasks.map((t) => [t.id, 'succeeded']));
    // Git's own trace, in the order the gits started: each later task's worktree is made before the task before it
    // is committed (its agent then takes it), and no worktree is made twice.
    const started = trace
      .split('\n')
      .map((line) =>
        / start \S+ worktree add /.test(line)
          ? /worktrees\/(ahd-\d)/.exec(line)?.[1]
          : / start \S+ .*\bcommit --no-verify/.test(line)
            ? 'commit'
            : undefined,
      )
      .filter((step) => step !== undefined);
    expect(started).toEqual(['ahd-1', 'ahd-2', 'commit', 'ahd-3', 'commit', 'commit']);
    expect(git(repo, 'worktree', 'list', '--porcelain')).not.toMatch(/ahd-/);
  });

  it('removes the worktrees it made for tasks that never start', async () => {
    const repo = makeRepo({ 'README.md': '# A repository\n' });
    const tasks = [task('AHD-4'), task('AHD-5'), task('AHD-6')];
    server.requests.length = 0;
    // The endpoint refuses the key: the tasks waiting for a slot end without starting.
    server.setScripts({
      'AHD-4': [{ fault: { kind: 'http', status: 401, message: 'invalid x-api-key' } }],
      'AHD-5': threeTurns,
      'AHD-6': threeTurns,
    });
    let results: AgentResult[] = [];
    const trace = await gitTrace(async () => {
      results = await runAgentsAgainst(server.url, tasks, { repo, maxConcurrency: 1 });
    });

    expect(results.slice(1).map((r) => [r.status, r.error])).toEqual([
      ['skipped', expect.stringMatching(/^not started: /)],
      ['skipped', expect.stringMatching(/^not started: /)],
    ]);
    // Made while AHD-4 was let go first, then removed once the run was over: git no longer lists them.
    const made = (command: string) =>
      trace.split('\n').filter((line) => new RegExp(` start \\S+ worktree ${command} .*ahd-[56]`).test(line));
    expect(made('add')).toHaveLength(2);
    expect(made('remove')).toHaveLength(2);
    expect(git(repo, 'worktree', 'list', '--porcelain')).not.toMatch(/ahd-/);
  });
});

describe('runTasks under the runner’s load', () => {
  it('runs fewer agents at once while memory is short, says why, and goes back up once it has room', async () => {
    const tasks = Array.from({ length: 10 }, (_, i) => task(`LOD-${i + 1}`));
    const scripts = Object.fromEntries(tasks.map((t) => [t.id, threeTurns]));
    let squeezed = true;
    let ended = 0;
    const events = new EventStream();
    const timeline: string[] = [];
    const running = new Set<string>();
    let mostWhileSqueezed = 0;
    let startsWhileSqueezed = 0;
    events.on((e) => {
      if (e.type === 'concurrency') timeline.push(`limit ${e.limit}: ${e.reason}`);
      if (e.type === 'started') {
        running.add(e.task);
        // The first four had their slots before the first reading; every later start waits for the lower limit.
        const later = !['LOD-1', 'LOD-2', 'LOD-3', 'LOD-4'].includes(e.task);
        if (later && timeline.length === 1) {
          startsWhileSqueezed += 1;
          mostWhileSqueezed = Math.max(mostWhileSqueezed, running.size);
        }
      }
      if (e.type === 'ended') {
        running.delete(e.task);
        // Room again once half the tasks are done.
        if ((ended += 1) === 5) squeezed = false;
      }
    });
    server.setScripts(scripts);
    const results = await runAgentsAgainst(server.url, tasks, {
      maxConcurrency: 4,
      events,
      load: {
        loadIntervalMs: 20,
        readLoad: async () => ({
          memoryAvailable: squeezed ? 0.04 : 0.6,
          memoryPressure: squeezed ? 25 : 0,
          cpuPressure: 0,
        }),
      },
    });
    expect(results.map((r) => r.status)).toEqual(tasks.map(() => 'succeeded'));
    expect(timeline).toEqual([
      'limit 2: memory is short (4 % available)',
      'limit 3: the runner has room again',
      'limit 4: the runner has room again',
    ]);
    expect(startsWhileSqueezed).toBeGreaterThan(0);
    expect(mostWhileSqueezed).toBeLessThanOrEqual(2);
  });
});
