import { getOctokit } from '@actions/github';
import type { AgentResult } from '../../src/result.js';
import { EventStream, type RunEvent } from '../../src/events.js';
import { commentReporter } from '../../src/github/comment-reporter.js';
import { checkAccess } from '../../src/github/permission.js';
import { postStickyComment, type Clock } from '../../src/github/sticky-comment.js';
import { decideTrigger, type TriggerSettings } from '../../src/github/trigger.js';
import { renderComment, renderRefusal, runUrl } from '../../src/report/comment.js';
import { PRICES } from '../../src/model/pricing.js';
import { initialRunState, runReducer, type RunState } from '../../src/run-state.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { examplePayload } from '../../support/run-action.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_standInToken0123456789';
const MARKER = '<!-- parallel-agents -->';
const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
const SETTINGS: TriggerSettings = { triggerLabel: 'parallel-agents', commentCommand: true, allowedBots: [] };
const RUN_URL = runUrl({ GITHUB_REPOSITORY: 'octo-org/gateway', GITHUB_RUN_ID: '42' });

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: GitHubServer;
let octokit: ReturnType<typeof getOctokit>;

afterEach(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const writes = () => server.calls.filter((c) => c.route === CREATE || c.route === UPDATE).map((c) => c.route);

function result(id: string, from: number, to: number): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: from,
    endedAt: to,
    seconds: (to - from) / 1000,
    turns: 2,
    toolCalls: 1,
    usage: { input: 100, output: 100, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.01,
    report: `Report of ${id}.`,
    branch: `parallel-agents/${id.toLowerCase()}`,
    pushed: false,
    filesChanged: [],
    insertions: 0,
    deletions: 0,
  };
}

/** Three agents going through their events, a few milliseconds apart, as the scheduler would emit them. */
async function runThreeAgents(events: EventStream): Promise<void> {
  const ids = ['BAC-1', 'BAC-2', 'BAC-3'];
  const t0 = Date.now();
  const emit = async (event: RunEvent) => {
    events.emit(event);
    await sleep(15);
  };
  await emit({
    type: 'run-started',
    at: t0,
    tasks: ids.map((id) => ({ id, title: `Task ${id}`, model: 'claude-sonnet-4-5' })),
    concurrency: 3,
    source: 'issue #1',
  });
  for (const id of ids) {
    await emit({ type: 'started', task: id, at: Date.now(), branch: 'b', model: 'claude-sonnet-4-5' });
  }
  for (const id of ids) {
    await emit({ type: 'turn', task: id, at: Date.now(), turn: 1, stopReason: 'tool_use', text: '' });
    await emit({ type: 'tool-call', task: id, at: Date.now(), tool: 'read', id: 't', input: {} });
    await emit({ type: 'turn', task: id, at: Date.now(), turn: 2, stopReason: 'end_turn', text: '' });
  }
  for (const id of ids) {
    await emit({ type: 'ended', task: id, at: Date.now(), result: result(id, t0, Date.now()) });
  }
  events.emit({ type: 'run-ended', at: Date.now() });
}

/** The run's state as its reducer folds `events`, subscribed first as the run subscribes it. */
function foldedState(events: EventStream): () => RunState {
  const reduce = runReducer(PRICES);
  let state = initialRunState();
  events.on((event) => (state = reduce(state, event)));
  return () => state;
}

/** A clock that moves only when the test moves it, firing the timers it passes: ten minutes go by in seconds. */
class FastClock implements Clock {
  #now = Date.UTC(2026, 0, 1);
  readonly #timers: { at: number; run: () => void; live: boolean }[] = [];

  now(): number {
    return this.#now;
  }

  after(ms: number, run: () => void): () => void {
    const timer = { at: this.#now + ms, run, live: true };
    this.#timers.push(timer);
    return () => void (timer.live = false);
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.#now = due.at;
      due.run();
    }
    this.#now = end;
  }
}

/**
 * Ten minutes of a run on `clock`, a second at a time: six tasks, three at once, each running agent calling a tool
 * and reporting its progress every second, one ending and the next starting every 100 s.
 */
async function runTenMinutes(
  events: EventStream,
  clock: FastClock,
  settle: () => Promise<void>,
): Promise<void> {
  const ids = ['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4', 'BAC-5', 'BAC-6'];
  const t0 = clock.now();
  events.emit({
    type: 'run-started',
    at: t0,
    tasks: ids.map((id) => ({ id, title: `Task ${id}`, model: 'claude-sonnet-4-5' })),
    concurrency: 3,
    source: 'issue #1',
  });
  const running = new Map<string, number>();
  const start = (id: string) => {
    running.set(id, clock.now());
    events.emit({ type: 'started', task: id, at: clock.now(), branch: 'b', model: 'claude-sonnet-4-5' });
  };
  ids.slice(0, 3).forEach(start);
  await settle();
  let next = 3;
  for (let second = 1; second <= 600; second++) {
    clock.advance(1000);
    const at = clock.now();
    for (const [id, since] of running) {
      const percent = Math.min(99, Math.floor((at - since) / 3000));
      events.emit({ type: 'tool-call', task: id, at, tool: 'read', id: `t${second}`, input: {} });
      events.emit({
        type: 'progress',
        task: id,
        at,
        percent,
        doing: `Step ${second} of ${id}`,
        reported: true,
      });
    }
    if (second % 100 === 0) {
      const [id, since] = [...running][0]!;
      running.delete(id);
      events.emit({ type: 'ended', task: id, at, result: result(id, since, at) });
      if (next < ids.length) start(ids[next++]!);
    }
    await settle();
  }
  for (const [id, since] of running)
    events.emit({ type: 'ended', task: id, at: clock.now(), result: result(id, since, clock.now()) });
  events.emit({ type: 'run-ended', at: clock.now() });
}

describe('commentReporter', () => {
  it('edits the comment of a 10-minute run within GitHub’s limits on content creation, showing progress as it goes', async () => {
    server = await startGitHubServer({ issues: [{ number: 1 }] });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });
    const clock = new FastClock();
    const sent: { at: number; body: string }[] = [];
    let inFlight = 0;
    octokit.hook.wrap('request', async (request, options) => {
      if (/^(POST|PATCH)$/.test(options.method) && String(options.url).includes('/comments'))
        sent.push({ at: clock.now(), body: String(options.body ?? '') });
      inFlight += 1;
      try {
        return await request(options);
      } finally {
        inFlight -= 1;
      }
    });
    const settle = async () => {
      do await sleep(1);
      while (inFlight > 0);
    };
    const events = new EventStream();
    const reporter = commentReporter({
      octokit,
      repo,
      issueNumber: 1,
      events,
      state: foldedState(events),
      render: (state) => renderComment(state, { now: clock.now() }),
      clock,
    });
    await runTenMinutes(events, clock, settle);
    await reporter.finish();

    const writes = server.calls.filter((c) => c.route === CREATE || c.route === UPDATE);
    expect(writes).toHaveLength(sent.length);
    // GitHub allows about 80 a minute and 500 an hour; the run keeps well under both, its last edit included.
    expect(sent.length).toBeLessThanOrEqual(50);
    expect(sent.length).toBeGreaterThanOrEqual(35);
    const perMinute = Array.from(
      { length: 10 },
      (_, m) =>
        sent.filter((s) => s.at >= sent[0]!.at + m * 60_000 && s.at < sent[0]!.at + (m + 1) * 60_000).length,
    );
    expect(Math.max(...perMinute)).toBeLessThanOrEqual(10);
    expect(Math.min(...perMinute)).toBeGreaterThanOrEqual(3);
    // Every edit but the last, which goes out at once, waits at least 3 s after the one before.
    for (const [i, s] of sent.slice(1, -1).entries())
      expect(s.at - sent[i]!.at).toBeGreaterThanOrEqual(3_000);
    // Halfway through, the running agents' rows show their progress bars.
    const halfway = sent.find((s) => s.at - sent[0]!.at >= 300_000)!.body;
    expect(halfway).toMatch(
      /\| \*\*BAC-4\*\* \| Task BAC-4 \| 🏃 running \| [█░]{10} \d+% - Step \d+ of BAC-4 \|/,
    );
    expect(halfway).toMatch(/\| \*\*BAC-6\*\* \| Task BAC-6 \| ⏳ queued \| waits for a free slot \|/);
  });

  it('makes exactly one comment, edits it several times, and ends with every task’s row and the timing', async () => {
    server = await startGitHubServer({ issues: [{ number: 1 }] });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });
    const events = new EventStream();

    const reporter = commentReporter({
      octokit,
      repo,
      issueNumber: 1,
      events,
      state: foldedState(events),
      render: (state) => renderComment(state, { runUrl: RUN_URL }),
      minIntervalMs: 40,
    });
    await runThreeAgents(events);
    const url = await reporter.finish();

    expect(writes()[0]).toBe(CREATE);
    expect(writes().filter((w) => w === CREATE)).toHaveLength(1);
    expect(writes().filter((w) => w === UPDATE).length).toBeGreaterThanOrEqual(3);
    expect(server.state.comments).toHaveLength(1);
    const body = server.state.comments[0]!.body;
    expect(body.startsWith(`${MARKER}\n### ✅ parallel-agents: 3/3 tasks succeeded`)).toBe(true);
    for (const id of ['BAC-1', 'BAC-2', 'BAC-3'])
      expect(body).toContain(`| **${id}** | Task ${id} | ✅ succeeded |`);
    expect(body).toContain('| **Speedup** |');
    expect(body).toContain(`[workflow run](${RUN_URL})`);
    expect(url).toBe(
      `https://github.com/octo-org/gateway/issues/1#issuecomment-${server.state.comments[0]!.id}`,
    );
    expect(reporter.url).toBe(url);
  });

  it('shows the run starting at once, before any event', async () => {
    server = await startGitHubServer({ issues: [{ number: 1 }] });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });

    const reporter = commentReporter({
      octokit,
      repo,
      issueNumber: 1,
      events: new EventStream(),
      state: () => initialRunState(),
      render: (state) => renderComment(state),
    });
    // No event ever comes: the comment is posted on the reporter's own start (waited for, as a busy machine may take
    // longer than a moment to answer).
    for (const deadline = Date.now() + 5_000; server.state.comments.length === 0 && Date.now() < deadline;)
      await sleep(10);

    expect(server.state.comments.map((c) => c.body)).toEqual([
      `${MARKER}\n### ⏳ parallel-agents: starting\n\n_Reading the tasks…_\n`,
    ]);
    await reporter.finish();
  });

  it('has a second run on the same issue edit the same comment, and leaves a quoting user’s comment alone', async () => {
    server = await startGitHubServer({
      issues: [{ number: 1 }],
      comments: [{ issueNumber: 1, body: `> ${MARKER}\n> quoting the bot`, user: 'mallory' }],
    });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });
    server.state.comments.push({
      id: 5,
      issueNumber: 1,
      body: `${MARKER}\nI made this look like yours`,
      user: 'mallory',
      createdAt: '',
      updatedAt: '',
    });
    const quoting = server.state.comments.map((c) => ({ ...c }));

    for (let run = 1; run <= 2; run++) {
      const events = new EventStream();
      const reporter = commentReporter({
        octokit,
        repo,
        issueNumber: 1,
        events,
        state: foldedState(events),
        render: (state) => renderComment(state),
        minIntervalMs: 40,
      });
      await runThreeAgents(events);
      await reporter.finish();
    }

    expect(server.state.comments).toHaveLength(3);
    expect(server.state.comments.slice(0, 2)).toEqual(quoting);
    expect(server.state.comments[2]!.user).toBe('github-actions[bot]');
    expect(writes().filter((w) => w === CREATE)).toHaveLength(1);
  });

  it('stops listening when finished, and ends with the body it is given', async () => {
    server = await startGitHubServer({ issues: [{ number: 1 }] });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });
    const events = new EventStream();
    const reporter = commentReporter({
      octokit,
      repo,
      issueNumber: 1,
      events,
      state: foldedState(events),
      render: (state) => renderComment(state),
      minIntervalMs: 0,
    });

    await reporter.finish((state) => renderComment(state, { failure: 'worktrees could not be made' }));
    events.emit({ type: 'warning', at: Date.now(), message: 'late' });
    await sleep(50);

    expect(server.state.comments).toHaveLength(1);
    expect(server.state.comments[0]!.body).toContain('### ❌ parallel-agents failed');
  });
});

describe('the way in, end to end in this process', () => {
  it('a reader’s label gets one short refusal comment, and the run’s comment is left as it was', async () => {
    server = await startGitHubServer({
      issues: [{ number: 1, user: 'Codertocat', labels: ['parallel-agents'] }],
      permissions: { Codertocat: 'read' },
      comments: [{ issueNumber: 1, body: `${MARKER}\nResults of the last run`, user: 'github-actions[bot]' }],
    });
    octokit = getOctokit(TOKEN, { baseUrl: server.url });
    const payload = examplePayload('issues', 'labeled') as Payload;
    payload['label'].name = 'parallel-agents';

    const trigger = decideTrigger('issues', payload, SETTINGS);
    if (!trigger.run) throw new Error(trigger.reason);
    const access = await checkAccess({
      octokit: () => octokit,
      repo,
      trigger,
      required: 'write',
      untrustedText: 'refuse',
      textAuthor: trigger.issue?.author,
      bash: false,
    });
    const url = await postStickyComment(
      { octokit, repo, issueNumber: 1, key: 'refusal' },
      renderRefusal(access.refusal ?? '', { runUrl: RUN_URL }),
    );

    expect(access.allowed).toBe(false);
    expect(url).toBeDefined();
    expect(server.state.comments.map((c) => c.body)).toEqual([
      `${MARKER}\nResults of the last run`,
      `<!-- parallel-agents:refusal -->\n### 🚫 parallel-agents did not run\n\n\`Codertocat\` has only read permission on this repository; starting a run takes write (\`required-permission\`).\n\n[Workflow run](${RUN_URL})\n`,
    ]);
  });
});
