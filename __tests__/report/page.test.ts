import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EventStream, type RunEvent } from '../../src/events.js';
import { PRICES } from '../../src/model/pricing.js';
import { openAuditLog } from '../../src/report/audit.js';
import { parseAuditLog } from '../../src/report/page-events.js';
import { renderRunPage } from '../../src/report/page.js';
import type { AgentResult } from '../../src/result.js';
import { initialRunState, runReducer, shapeOf, timingOf } from '../../src/run-state.js';
import { planTasks, type Plan } from '../../src/tasks/plan.js';
import { tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { ScriptedTurn } from '../../support/script.js';

const T0 = 1_700_000_000_000;

/** An agent that ran from `from` to `to` seconds after T0. */
function result(id: string, from: number, to: number, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-6',
    startedAt: T0 + from * 1000,
    endedAt: T0 + to * 1000,
    seconds: to - from,
    turns: 2,
    toolCalls: 1,
    usage: { input: 100, output: 50, cacheWrite: 0, cacheRead: 400 },
    costUsd: 0.01,
    report: `Report of ${id}.`,
    branch: `parallel-agents/${id.toLowerCase()}`,
    pushed: true,
    filesChanged: ['src/a.ts'],
    insertions: 3,
    deletions: 1,
    ...overrides,
  };
}

/** The events of one agent that made `calls` tool calls, each with `input`, and ended with `r`. */
function agentEvents(
  r: AgentResult,
  calls = 1,
  input: Record<string, unknown> = { file_path: 'README.md' },
): RunEvent[] {
  const task = r.id;
  const step = (r.endedAt - r.startedAt) / (calls + 2);
  return [
    { type: 'started', task, at: r.startedAt, branch: r.branch, model: r.model },
    ...Array.from({ length: calls }, (_, i): RunEvent[] => [
      {
        type: 'turn',
        task,
        at: r.startedAt + step * (i + 1),
        turn: i + 1,
        stopReason: 'tool_use',
        text: 'Looking.',
      },
      { type: 'tool-call', task, at: r.startedAt + step * (i + 1), tool: 'read', id: `t${i}`, input },
    ]).flat(),
    { type: 'ended', task, at: r.endedAt, result: r },
  ];
}

function runOf(
  results: AgentResult[],
  events: RunEvent[],
  extra: Partial<Extract<RunEvent, { type: 'run-started' }>> = {},
): RunEvent[] {
  return [
    {
      type: 'run-started',
      at: T0,
      tasks: results.map((r) => ({ id: r.id, title: r.title, model: r.model })),
      concurrency: 4,
      source: 'input `tasks`',
      ...extra,
    },
    ...events,
    { type: 'run-ended', at: Math.max(...results.map((r) => r.endedAt)) },
  ];
}

/** The `<details>` section of one agent. */
function sectionOf(page: string, id: string): string {
  const start = page.indexOf('<details id="agent-');
  const at = page.indexOf(`<strong>${id}</strong>`, start);
  expect(at).toBeGreaterThan(0);
  const open = page.lastIndexOf('<details', at);
  return page.slice(open, page.indexOf('</details>', at));
}

/** Where the timeline's plot begins, right of the labels: the run's start. */
const PLOT_LEFT = 170;

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

describe('renderRunPage', () => {
  it('keeps script and markup from titles, reports, tool inputs, turns and warnings as text', () => {
    const r = result('BAC-1', 0, 10, {
      title: HOSTILE,
      report: `Done.\n${HOSTILE}\n<a href="javascript:alert(3)">click</a>`,
      error: HOSTILE,
      filesChanged: [`src/${HOSTILE}.ts`],
      pullRequest: { number: 7, url: 'javascript:alert(4)' },
    });
    const events = runOf(
      [r],
      [
        ...agentEvents(r, 1, { command: HOSTILE }),
        { type: 'turn', task: 'BAC-1', at: T0 + 9000, turn: 2, stopReason: 'end_turn', text: HOSTILE },
        { type: 'warning', at: T0, message: HOSTILE },
      ],
    );
    const page = renderRunPage({ events });
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toMatch(/href="javascript/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The PR's number is still shown, just not as a link.
    expect(page).toContain('<td>#7</td>');
    expect(page).toContain("default-src 'none'");
  });

  it('shows what the agents told each other, and each agent’s notes and reported progress among its steps', () => {
    const r = result('BAC-1', 0, 10);
    const events: RunEvent[] = [
      ...agentEvents(r).slice(0, -1),
      {
        type: 'progress',
        task: 'BAC-1',
        at: T0 + 2_000,
        percent: 40,
        doing: 'Reading the router',
        reported: true,
      },
      {
        type: 'progress',
        task: 'BAC-1',
        at: T0 + 2_500,
        percent: null,
        doing: 'editing x.js',
        reported: false,
      },
      { type: 'note', task: 'BAC-1', at: T0 + 3_000, topic: 'router', text: `Routes in config. ${HOSTILE}` },
      agentEvents(r).at(-1)!,
    ];
    const page = renderRunPage({ events: runOf([r], events) });

    expect(page).toContain('<h2>What the agents told each other</h2>');
    expect(page).toMatch(
      /<li><strong>BAC-1<\/strong> <span class="muted">\+3\.0 s<\/span> <em>router<\/em>: Routes in config\. &lt;script&gt;/,
    );
    expect(page).not.toContain('<script>');
    const section = sectionOf(page, 'BAC-1');
    expect(section).toContain('<b>progress</b> 40 % Reading the router');
    expect(section).not.toContain('editing x.js');
    expect(section).toContain('<b>note for the others</b> <em>router</em>');
  });

  it('keeps a hostile task id out of attributes', () => {
    const id = '"><svg onload=alert(1)>';
    const r = result(id, 0, 5);
    const page = renderRunPage({ events: runOf([r], agentEvents(r)) });
    expect(page).not.toContain('<svg onload');
    expect(page).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
    const anchors = [...page.matchAll(/ (?:id|href)="#?([^"]*)"/g)].map((m) => m[1]);
    for (const anchor of anchors) expect(anchor).toMatch(/^agent-0-[\w-]*$/);
  });

  it('links a pull request only by its http(s) URL', () => {
    const r = result('BAC-2', 0, 5, { pullRequest: { number: 12, url: 'https://github.com/o/r/pull/12' } });
    const page = renderRunPage({ events: runOf([r], agentEvents(r)) });
    expect(page).toContain('<a href="https://github.com/o/r/pull/12" rel="noreferrer noopener">#12</a>');
  });

  it('shows the plan: levels, dependencies, stacks with their globs, and the critical path', () => {
    const plan: Plan = planTasks([
      taskOf('PL-1', { paths: ['src/**'], estimate: 1 }),
      taskOf('PL-2', { dependsOn: ['PL-1'] }),
      taskOf('PL-3', { paths: ['src/router.ts'], estimate: 3 }),
    ]);
    const results = [result('PL-1', 0, 10), result('PL-2', 11, 20), result('PL-3', 12, 30)];
    const page = renderRunPage({
      events: runOf(
        results,
        results.flatMap((r) => agentEvents(r)),
      ),
      plan,
    });
    const planSection = page.slice(page.indexOf('<h2>Plan</h2>'));
    expect(planSection).toMatch(/<strong>PL-2<\/strong><\/td><td class="num">1<\/td><td>PL-1<\/td>/);
    expect(planSection).toContain('PL-1 <span class="muted">(src/** ∩ src/router.ts)</span>');
    expect(planSection).toMatch(/Critical path: PL-1 → PL-3 \(4 h by estimate\)/);
  });

  it('cuts a huge run down to a page of bounded size, saying how much it left out', () => {
    // One report, file list and command shared by every agent: the page bounds what it shows of each all the same, and
    // the worker that runs later test files (a fork of it costs more the more memory it holds) keeps no 200 copies.
    const report = '<'.repeat(1_000_000);
    const filesChanged = Array.from({ length: 1_000 }, (_, k) => `${'"'.repeat(300)}${k}`);
    const command = '"'.repeat(5_000);
    const big = (agents: number, calls: number) => {
      const results = Array.from({ length: agents }, (_, i) =>
        result(`BIG-${i + 1}`, i, i + 600, { report, toolCalls: calls, filesChanged }),
      );
      const steps = results.flatMap((r) => agentEvents(r, calls, { command }));
      return { results, page: renderRunPage({ events: runOf(results, steps) }) };
    };
    const one = big(1, 10_000).page;
    expect(Buffer.byteLength(one)).toBeLessThan(420 * 1000);
    expect(one).toMatch(/… [\d,]+ more steps/);
    expect(one).toContain('characters omitted');
    expect(one).toMatch(/… [\d,]+ more<\/li>/);
    const { results, page } = big(200, 200);
    expect(Buffer.byteLength(page)).toBeLessThan(6 * 1024 * 1024);
    for (const r of results) expect(page).toContain(`<strong>${r.id}</strong>`);
  });

  it('reads a log cut short: an unreadable line is skipped and an agent without an end shows as running', () => {
    const done = result('CUT-1', 0, 10);
    const lines = [
      ...runOf([done, result('CUT-2', 0, 10)], agentEvents(done)).slice(0, -1),
      { type: 'started', task: 'CUT-2', at: T0 + 2000, branch: 'b', model: 'claude-sonnet-4-6' },
      {
        type: 'tool-call',
        task: 'CUT-2',
        at: T0 + 6000,
        tool: 'read',
        id: 'r',
        input: { file_path: 'a.md' },
      },
      // What the audit log keeps of an event too long to log, and a line a killed process left half written.
      { type: 'ended', task: 'CUT-2', at: T0 + 7000, omitted: '… (99999 characters of this event omitted)' },
    ].map((e) => JSON.stringify(e));
    const page = renderRunPage({ events: parseAuditLog(`${lines.join('\n')}\n{"type":"turn","ta`) });
    expect(page).toContain('not ended');
    // Still running when the log's last event (CUT-1's end, at 10 s) was written.
    expect(page).toMatch(/<title>CUT-2 — running, 8\.0 s, 1 tool call<\/title>/);
    expect(sectionOf(page, 'CUT-2')).toContain('<b>read</b> <code>a.md</code>');
  });

  it('draws a concatenation of several shards’ logs as one run', () => {
    const a = [result('SH-1', 0, 10), result('SH-2', 1, 12)];
    const b = [result('SH-3', 3, 9, { status: 'failed', error: 'model refused' })];
    const shard = (rs: AgentResult[]) =>
      runOf(
        rs,
        rs.flatMap((r) => agentEvents(r)),
        { concurrency: 2, at: rs[0]!.startedAt - 500 },
      );
    const page = renderRunPage({ events: [...shard(a), ...shard(b)] });
    expect(page).toContain('2/3 tasks succeeded · 1 failed');
    expect(page).toContain('up to 4 agents at once');
    for (const id of ['SH-1', 'SH-2', 'SH-3']) expect(page).toContain(`<strong>${id}</strong>`);
    expect(sectionOf(page, 'SH-3')).toContain('model refused');
  });
});

describe('renderRunPage of a real run', () => {
  let server: MessagesServer;
  let events: RunEvent[];
  let plan: Plan;
  const ids = ['PG-1', 'PG-2', 'PG-3', 'PG-4'];

  beforeAll(async () => {
    server = await startMessagesServer();
    const turns: ScriptedTurn[] = [
      { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 60 },
      { tools: [{ name: 'write', input: { file_path: 'NOTES.md', content: 'notes\n' } }], latencyMs: 60 },
      { text: 'Wrote the notes.', latencyMs: 60 },
    ];
    server.setScripts({
      ...Object.fromEntries(ids.map((id) => [id, turns])),
      'PG-4': [
        { tools: [{ name: 'read', input: { file_path: 'missing.md' } }], latencyMs: 60 },
        { text: 'Could not.' },
      ],
    });
    const tasks = [taskOf('PG-1'), taskOf('PG-2', { dependsOn: ['PG-1'] }), taskOf('PG-3'), taskOf('PG-4')];
    plan = planTasks(tasks);
    const stream = new EventStream();
    const file = path.join(tempDir(), 'audit.jsonl');
    const audit = openAuditLog(stream, file, ['loopback-key']);
    stream.emit({
      type: 'run-started',
      at: Date.now(),
      tasks: tasks.map((t) => ({ id: t.id, title: t.title, model: 'claude-sonnet-4-6' })),
      concurrency: 2,
      source: 'a loopback run',
      shape: shapeOf(plan),
    });
    await runAgentsAgainst(server.url, tasks, { maxConcurrency: 2, events: stream });
    stream.emit({ type: 'run-ended', at: Date.now() });
    await audit.close();
    // Read back as a report step would read the artifact.
    events = parseAuditLog(fs.readFileSync(file, 'utf8'));
  });
  afterAll(() => server.close());

  it('shows every agent in the table, the timeline and its own section, with the figures the summary uses', () => {
    const page = renderRunPage({ events, plan });
    expect(page).toContain('4/4 tasks succeeded');
    for (const id of ids) {
      expect(page).toMatch(new RegExp(`<a href="#agent-\\d-${id}"><strong>${id}</strong></a>`));
      expect(page).toMatch(new RegExp(`<title>${id} — succeeded, [\\d.]+ s, \\d tool calls?</title>`));
    }
    const state = events.reduce(runReducer(PRICES), initialRunState());
    const speedup = timingOf(state).speedup;
    expect(page).toContain(`<div class="figure">${speedup?.toFixed(2)}×</div>`);
    expect(page.match(/<path class="ticks"/g)).toHaveLength(4);
  });

  it('shows why a dependent task waited: for its dependency until that ended, then until it started', () => {
    const page = renderRunPage({ events, plan });
    expect(page).toMatch(
      /<rect class="wait dep"[^>]*><title>PG-2 waited [\d.]+ s for PG-1, which it depends on<\/title>/,
    );
    const rect = (cls: string, id: string) => {
      const m = new RegExp(
        `<rect class="${cls}" x="([\\d.]+)"[^>]*width="([\\d.]+)"[^>]*><title>${id} `,
      ).exec(page);
      expect(m).not.toBeNull();
      return { x: Number(m![1]), end: Number(m![1]) + Number(m![2]) };
    };
    const waits = [
      ...page.matchAll(/<rect class="(wait[^"]*)" x="([\d.]+)"[^>]*width="([\d.]+)"[^>]*><title>PG-2 /g),
    ].map((m) => ({ cls: m[1], x: Number(m[2]), end: Number(m[2]) + Number(m[3]) }));
    // The dependency's segment begins at the run's start (the plot's left edge) and ends once PG-1's end is
    // known, at its bar's end or just after (its commit); the segments after it run on to where PG-2's bar begins.
    expect(waits[0]).toMatchObject({ cls: 'wait dep', x: PLOT_LEFT });
    expect(waits[0]!.end).toBeGreaterThanOrEqual(rect('bar ok', 'PG-1').end - 0.5);
    for (let i = 1; i < waits.length; i++)
      expect(Math.abs(waits[i]!.x - waits[i - 1]!.end)).toBeLessThan(0.5);
    expect(Math.abs(rect('bar ok', 'PG-2').x - waits.at(-1)!.end)).toBeLessThan(0.5);
  });

  it('lists each agent’s steps with their inputs, its failed tool calls and its report', () => {
    const page = renderRunPage({ events, plan });
    const pg1 = sectionOf(page, 'PG-1');
    expect(pg1).toMatch(/<b>read<\/b> <code>README.md<\/code>/);
    expect(pg1).toMatch(/<b>write<\/b> <code>\{&quot;file_path&quot;:&quot;NOTES.md&quot;/);
    expect(pg1).toContain('<b>turn 1</b>');
    expect(pg1).toContain('Wrote the notes.');
    expect(pg1).toContain('<code>NOTES.md</code>');
    expect(sectionOf(page, 'PG-4')).toMatch(/read failed:/);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const chromiumTest = fs.existsSync(CHROMIUM) ? it : it.skip;

describe('the run page in a browser', () => {
  chromiumTest(
    fs.existsSync(CHROMIUM)
      ? 'renders in headless Chromium with every agent in the DOM and no script run'
      : `renders in headless Chromium: skipped, ${CHROMIUM} is missing (CI installs it)`,
    async () => {
      const results = Array.from({ length: 8 }, (_, i) =>
        result(`WEB-${i + 1}`, i * 2, i * 2 + 20, {
          title: i === 3 ? HOSTILE : `Task ${i + 1}`,
          status: i === 5 ? 'failed' : 'succeeded',
        }),
      );
      const page = renderRunPage({
        events: runOf(
          results,
          results.flatMap((r) => agentEvents(r, 6)),
        ),
      });
      const dir = tempDir('pa-page-');
      const file = path.join(dir, 'run.html');
      fs.writeFileSync(file, page);
      const shot = path.join(dir, 'run.png');
      const run = (...args: string[]) =>
        promisify(execFile)(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            `--user-data-dir=${path.join(dir, 'profile')}`,
            ...args,
            `file://${file}`,
          ],
          { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        );
      // One launch: the screenshot to its file, the DOM after scripts would have run to stdout.
      const { stdout: dom } = await run(`--screenshot=${shot}`, '--window-size=1400,2000', '--dump-dom');
      const png = fs.readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1400, 2000]);
      // A blank page of that size compresses to a few kilobytes.
      expect(png.length).toBeGreaterThan(40_000);

      for (const r of results) expect(dom).toContain(`<strong>${r.id}</strong>`);
      expect(dom).toContain('<svg class="timeline"');
      expect(dom).not.toMatch(/<img/i);
      expect(dom).not.toMatch(/<script/i);
    },
    90_000,
  );
});
