/**
 * The figures DESIGN §9 holds the action to, each measured side by side in one run on this machine. The machine is
 * noisy, so each figure is a ratio of two things measured together, not an absolute time.
 */
import os from 'node:os';
import { EventStream } from '../src/events.js';
import type { AgentResult } from '../src/agents/result.js';
import { computeTiming, type Timing } from '../src/report/timing.js';
import type { Task } from '../src/tasks/task.js';
import { makeRepo } from '../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../support/messages-server.js';
import { runAction } from '../support/run-action.js';
import { runAgentsAgainst, taskOf } from '../support/run-agents.js';
import type { Scripts, ScriptedTurn } from '../support/script.js';

interface Row {
  figure: string;
  measured: string;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];
const record = (figure: string, measured: string, target: string, ok: boolean) => {
  rows.push({ figure, measured, target, ok });
  console.log(`${ok ? 'ok  ' : 'MISS'} ${figure}: ${measured} (target ${target})`);
};

const CONTEXT = 'A small repository. '.repeat(200);

/** `n` tasks of `turns` turns each: a `read` every turn but the last, which reports. */
function workload(n: number, turns: number, latencyMs: number): { tasks: Task[]; scripts: Scripts } {
  const tasks: Task[] = [];
  const scripts: Scripts = {};
  for (let i = 1; i <= n; i++) {
    const id = `BEN-${i}`;
    tasks.push(taskOf(id, { prompt: 'Read the README a few times, then report.' }));
    const script: ScriptedTurn[] = [];
    for (let t = 1; t < turns; t++) {
      script.push({
        text: `Turn ${t}.`,
        tools: [{ name: 'read', input: { file_path: 'README.md' } }],
        latencyMs,
      });
    }
    script.push({ text: `Finished ${id}.`, latencyMs });
    scripts[id] = script;
  }
  return { tasks, scripts };
}

function run(
  server: MessagesServer,
  tasks: Task[],
  concurrency: number,
  events = new EventStream(),
): Promise<AgentResult[]> {
  return runAgentsAgainst(server.url, tasks, {
    context: CONTEXT,
    maxConcurrency: concurrency,
    maxTurns: 40,
    timeoutMs: 10 * 60_000,
    events,
  });
}

const failedOf = (results: AgentResult[]) => results.filter((r) => r.status !== 'succeeded').length;

/**
 * The run's timing with the ideal made from the server's own time, turn by turn along each chain (the scripted
 * latency), not from the agents' times: agent times include the queueing this bench is here to find.
 */
function honestTiming(
  results: AgentResult[],
  scripts: Scripts,
  concurrency: number,
): Timing & { model: object } {
  const model = (id: string) =>
    (scripts[id] ?? []).reduce((sum, turn) => sum + (turn.latencyMs ?? 0), 0) / 1000;
  const timing = computeTiming(
    results.map((r) => ({ ...r, modelSeconds: model(r.id) })),
    { concurrency },
  );
  if (!timing.model) throw new Error('no model-only bound');
  return timing as Timing & { model: object };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[(values.length - 1) >> 1] ?? NaN;
const ms = (seconds: number) => `${Math.round(seconds * 1000)} ms`;

// 1. Ten tasks of eight turns at 100 ms a turn: concurrency 10 against concurrency 1, and against the ideal.
{
  const { tasks, scripts } = workload(10, 8, 100);
  const server = await startMessagesServer({ scripts });
  const parallel = await run(server, tasks, 10);
  const serial = await run(server, tasks, 1);
  await server.close();
  const p = honestTiming(parallel, scripts, 10);
  const s = computeTiming(serial, { concurrency: 1 });
  const ideal = p.model!.idealSeconds;
  record(
    '10×8 turns, c=10: wall / model-only ideal',
    (p.wallSeconds / ideal).toFixed(3),
    '≤ 1.10',
    p.wallSeconds <= 1.1 * ideal,
  );
  const perAgent = median(p.model!.agents.map((a) => a.overheadSeconds));
  record(
    `10×8 turns, c=10: overhead per agent, median (total ${ms(p.model!.overheadSeconds)})`,
    ms(perAgent),
    '≤ 60 ms',
    perAgent <= 0.06,
  );
  const speedup = s.wallSeconds / p.wallSeconds;
  record('10×8 turns: wall at c=1 / wall at c=10', `${speedup.toFixed(2)}×`, '≥ 9', speedup >= 9);
  record(
    '10×8 turns: failed tasks',
    String(failedOf(parallel) + failedOf(serial)),
    '0',
    failedOf(parallel) + failedOf(serial) === 0,
  );

  // Prompt cache over that same parallel run: the share of input tokens read from the cache.
  const usage = parallel.reduce(
    (sum, r) => ({
      read: sum.read + r.usage.cacheRead,
      all: sum.all + r.usage.input + r.usage.cacheRead + r.usage.cacheWrite,
    }),
    { read: 0, all: 0 },
  );
  const share = usage.read / usage.all;
  record('10 agents: input tokens read from cache', `${(share * 100).toFixed(1)} %`, '≥ 80 %', share >= 0.8);
}

// 2. A hundred tasks at concurrency 20: wall against the ideal, and the process's peak memory.
{
  const { tasks, scripts } = workload(100, 4, 100);
  const server = await startMessagesServer({ scripts });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const results = await run(server, tasks, 20);
  clearInterval(sampler);
  await server.close();
  const t = honestTiming(results, scripts, 20);
  record(
    '100 tasks, c=20: wall / model-only ideal',
    (t.wallSeconds / t.model!.idealSeconds).toFixed(3),
    '≤ 1.15',
    t.wallSeconds <= 1.15 * t.model!.idealSeconds,
  );
  record(
    '100 tasks, c=20: peak RSS (runner and server in one process)',
    `${Math.round(peak / 2 ** 20)} MB`,
    '≤ 300 MB',
    peak <= 300 * 2 ** 20,
  );
  record('100 tasks: failed tasks', String(failedOf(results)), '0', failedOf(results) === 0);
}

// 3. Overhead per model turn at concurrency 1: the time between one reply's end and the next request's start, less
// the tools' own work in between: the SDK, the tool runner, the event stream and our bookkeeping.
{
  const { tasks, scripts } = workload(5, 8, 0);
  const server = await startMessagesServer({ scripts });
  const events = new EventStream();
  const toolStart = new Map<string, number>();
  const toolMs = new Map<string, number>();
  events.on((e) => {
    if (e.type === 'tool-call') toolStart.set(e.id, performance.now());
    if (e.type === 'tool-result') {
      toolMs.set(
        e.task,
        (toolMs.get(e.task) ?? 0) + performance.now() - (toolStart.get(e.id) ?? performance.now()),
      );
    }
  });
  const results = await run(server, tasks, 1, events);
  await server.close();
  const perTurn = results.map((r) => {
    const requests = server.requests.filter((q) => q.task === r.id);
    let gaps = 0;
    for (let i = 1; i < requests.length; i++) gaps += requests[i]!.startedAt - requests[i - 1]!.endedAt;
    return (gaps - (toolMs.get(r.id) ?? 0)) / (requests.length - 1);
  });
  const median = perTurn.sort((a, b) => a - b)[Math.floor(perTurn.length / 2)]!;
  record(
    'overhead per model turn, c=1 (median over agents)',
    `${median.toFixed(1)} ms`,
    '≤ 10 ms',
    median <= 10,
  );
}

// 4. Process start to first API request, for the built action.
{
  const { scripts } = workload(1, 1, 0);
  const server = await startMessagesServer({ scripts });
  const spawned = Date.now();
  const result = await runAction({
    workspace: makeRepo({ 'README.md': '# Bench\n' }),
    inputs: { 'anthropic-api-key': 'bench', 'anthropic-base-url': server.url, tasks: '- BEN-1: Start' },
  });
  await server.close();
  const first = server.requests[0]?.startedAt ?? Infinity;
  const ms = first - spawned;
  record(
    'process start to first API request (dist/index.js)',
    `${ms} ms`,
    '≤ 500 ms',
    ms <= 500 && result.code === 0,
  );
}

// 5. Under a server-enforced rate limit: the share of the allowed request rate sustained, and failed tasks.
{
  const perSecond = 20;
  const { tasks, scripts } = workload(10, 6, 0);
  const server = await startMessagesServer({ scripts, rateLimit: { requestsPerSecond: perSecond } });
  const results = await run(server, tasks, 10);
  await server.close();
  const answered = server.requests.filter((r) => r.status === 200);
  const span =
    (Math.max(...answered.map((r) => r.endedAt)) - Math.min(...answered.map((r) => r.startedAt))) / 1000;
  const rate = answered.length / span / perSecond;
  record(
    `rate limit ${perSecond}/s: share of allowed rate sustained`,
    `${(rate * 100).toFixed(0)} %`,
    '≥ 85 %',
    rate >= 0.85,
  );
  record(`rate limit ${perSecond}/s: failed tasks`, String(failedOf(results)), '0', failedOf(results) === 0);
}

console.log('');
console.log(`${os.cpus().length} cores, Node ${process.version}`);
console.log('| figure | measured | target | |');
console.log('| --- | ---: | ---: | --- |');
for (const r of rows)
  console.log(`| ${r.figure} | ${r.measured} | ${r.target} | ${r.ok ? 'ok' : 'missed'} |`);
