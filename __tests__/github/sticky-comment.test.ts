import { setTimeout as sleep } from 'node:timers/promises';
import { createGitHubClient } from '../../src/github/client.js';
import type { GitHubClient } from '../../src/github/context.js';
import {
  StickyComment,
  findStickyComment,
  postStickyComment,
  stickyMarker,
  tokenIdentity,
  type StickyCommentOptions,
} from '../../src/github/sticky-comment.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_standInToken0123456789';
const MARKER = '<!-- parallel-agents -->';
const LIST = 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments';
const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';

let server: GitHubServer;
let octokit: GitHubClient;
/** Requests in flight at once, at most. */
let peakInFlight = 0;
let warnings: string[];

async function start(options: GitHubServerOptions = {}): Promise<void> {
  server = await startGitHubServer({ issues: [{ number: 7 }], ...options });
  // The client the action makes, its waits shortened: a second of GitHub's is 10 ms here.
  octokit = createGitHubClient(TOKEN, server.url, { msPerSecond: 10, retries: 3, maxWaitSeconds: 60 });
  let inFlight = 0;
  peakInFlight = 0;
  octokit.hook.wrap('request', async (request, options) => {
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    try {
      return await request(options);
    } finally {
      inFlight -= 1;
    }
  });
  warnings = [];
}

afterEach(async () => {
  await server?.close();
});

function sticky(extra: Partial<StickyCommentOptions> = {}): StickyComment {
  return new StickyComment({
    octokit,
    repo,
    issueNumber: 7,
    minIntervalMs: 100,
    warn: (message) => warnings.push(message),
    ...extra,
  });
}

const writes = () => server.calls.filter((c) => c.route === CREATE || c.route === UPDATE);

async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(5);
}
describe('StickyComment', () => {
  it('creates one comment with the hidden marker and edits it in place', async () => {
    await start();
    const comment = sticky();

    // Each update waits for the one before to be written: on a busy machine the first may take longer than the interval.
    comment.update('Starting');
    await until(() => writes().length === 1);
    comment.update('Running');
    await until(() => writes().length === 2);
    const url = await comment.finish('Done');

    expect(server.state.comments).toEqual([
      expect.objectContaining({ issueNumber: 7, user: 'github-actions[bot]', body: `${MARKER}\nDone` }),
    ]);
    expect(writes().map((c) => c.route)).toEqual([CREATE, UPDATE, UPDATE]);
    expect(url).toBe(
      `https://github.com/octo-org/gateway/issues/7#issuecomment-${server.state.comments[0]!.id}`,
    );
    expect(comment.url).toBe(url);
  });

  it('sends at most one update per interval, only the newest, never two at once, and always the last', async () => {
    await start({ latencyMs: 30 });
    const comment = sticky({ minIntervalMs: 200 });
    const started = Date.now();

    for (let i = 0; i < 40; i++) {
      comment.update(`update ${i}`);
      await sleep(10);
    }
    await comment.finish('final');

    const sent = writes();
    // 40 updates over ~400 ms: the first at once, then one per 200 ms, then the final one.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.length).toBeLessThanOrEqual(5);
    // Times of arrival at the server, each some milliseconds after its start, on a busy machine some more than others;
    // without the interval they would be about 40 ms apart (the server's latency and the updates' 10 ms).
    for (let i = 2; i < sent.length - 1; i++) {
      expect(sent[i]!.time - sent[i - 1]!.time).toBeGreaterThanOrEqual(150);
    }
    expect((sent[0]!.body as { body: string }).body).toBe(`${MARKER}\nupdate 0`);
    expect((sent.at(-1)!.body as { body: string }).body).toBe(`${MARKER}\nfinal`);
    expect(peakInFlight).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('sends a burst of edits at the short interval, then one per steady interval, and the last at once', async () => {
    await start();
    const clock = { at: 0, timers: [] as { at: number; run: () => void }[] };
    const comment = sticky({
      minIntervalMs: 3_000,
      steadyIntervalMs: 15_000,
      burst: 3,
      clock: {
        now: () => clock.at,
        after: (ms, run) => {
          const timer = { at: clock.at + ms, run };
          clock.timers.push(timer);
          return () => void clock.timers.splice(clock.timers.indexOf(timer), 1);
        },
      },
    });
    let inFlight = 0;
    octokit.hook.wrap('request', async (request, options) => {
      inFlight += 1;
      try {
        return await request(options);
      } finally {
        inFlight -= 1;
      }
    });
    // A body is rendered when its request starts: the clock then is when the edit went out.
    const sentAt: number[] = [];
    const body = (text: string) => () => {
      sentAt.push(clock.at);
      return text;
    };
    // An update every second for 60 s of the clock, each written before the clock moves on.
    for (let second = 0; second < 60; second++) {
      clock.at = second * 1_000;
      for (const due of clock.timers.filter((t) => t.at <= clock.at)) {
        clock.timers.splice(clock.timers.indexOf(due), 1);
        due.run();
      }
      comment.update(body(`second ${second}`));
      await sleep(1);
      await until(() => inFlight === 0 && writes().length === sentAt.length);
    }
    await comment.finish(body('done'));

    // Three 3 s apart; then a credit comes back every 15 s from the start; the last at once.
    expect(sentAt).toEqual([0, 3_000, 6_000, 15_000, 30_000, 45_000, 59_000]);
    expect(warnings).toEqual([]);
  });

  it('renders a body only when it is sent', async () => {
    await start();
    const comment = sticky({ minIntervalMs: 1_000 });
    let renders = 0;
    const render = () => `render ${++renders}`;

    for (let i = 0; i < 50; i++) comment.update(render);
    await comment.finish();

    expect(renders).toBe(2);
  });

  it('does not send a body that has not changed', async () => {
    await start();
    const comment = sticky({ minIntervalMs: 0 });

    comment.update('Same');
    await sleep(50);
    comment.update('Same');
    await sleep(50);
    await comment.finish('Same');

    expect(writes()).toHaveLength(1);
  });

  it('finds its comment of an earlier run past the first pages, and edits it', async () => {
    const others = Array.from({ length: 250 }, (_, i) => ({
      issueNumber: 7,
      body: `comment ${i}`,
      user: 'someone',
    }));
    await start({
      comments: [...others, { issueNumber: 7, body: `${MARKER}\nEarlier run`, user: 'github-actions[bot]' }],
    });
    const earlier = server.state.comments.at(-1)!;

    await sticky().finish('This run');

    expect(server.state.comments).toHaveLength(251);
    expect(earlier.body).toBe(`${MARKER}\nThis run`);
    expect(server.calls.filter((c) => c.route === LIST).map((c) => c.query['page'] ?? '1')).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(writes().map((c) => c.route)).toEqual([UPDATE]);
  });

  it('never touches another user’s comment that quotes the marker, nor another bot’s', async () => {
    await start({
      comments: [
        { issueNumber: 7, body: `${MARKER}\nI quoted your marker`, user: 'mallory' },
        { issueNumber: 7, body: `${MARKER}\nSo did I`, user: 'renovate[bot]' },
      ],
    });

    await sticky().finish('Ours');

    expect(server.state.comments.map((c) => [c.user, c.body])).toEqual([
      ['mallory', `${MARKER}\nI quoted your marker`],
      ['renovate[bot]', `${MARKER}\nSo did I`],
      ['github-actions[bot]', `${MARKER}\nOurs`],
    ]);
  });

  it('takes a comment of its own only when the marker starts it', async () => {
    await start({ comments: [{ issueNumber: 7, body: `Quoting: ${MARKER}`, user: 'github-actions[bot]' }] });

    await sticky().finish('Ours');

    expect(server.state.comments).toHaveLength(2);
  });

  it('keeps comments of another key apart', async () => {
    await start();

    await sticky().finish('The run');
    await sticky({ key: 'refusal' }).finish('Refused');
    await sticky({ key: 'refusal' }).finish('Refused again');

    expect(server.state.comments.map((c) => c.body)).toEqual([
      `${MARKER}\nThe run`,
      '<!-- parallel-agents:refusal -->\nRefused again',
    ]);
  });

  it('creates a new comment when its comment was deleted meanwhile', async () => {
    await start();
    const comment = sticky({ minIntervalMs: 0 });
    comment.update('First');
    await sleep(50);
    server.state.comments.length = 0;

    await comment.finish('Second');

    expect(server.state.comments.map((c) => c.body)).toEqual([`${MARKER}\nSecond`]);
  });

  it('warns about an update GitHub kept failing and goes on; the final one waits out a rate limit', async () => {
    await start();
    const comment = sticky({ minIntervalMs: 0 });
    server.inject({ route: CREATE, kind: 'status', status: 502, times: 4 });

    comment.update('First');
    await sleep(200);
    server.inject({ route: CREATE, kind: 'secondary-rate-limit', retryAfterSeconds: 1 });
    const url = await comment.finish('Last');

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Could not update the comment on #7: HTTP 502/);
    expect(server.calls.filter((c) => c.route === CREATE).map((c) => c.status)).toEqual([
      502, 502, 502, 502, 403, 201,
    ]);
    expect(server.state.comments.map((c) => c.body)).toEqual([`${MARKER}\nLast`]);
    expect(url).toBeDefined();
  });

  it('resolves to undefined, and warns, when the comment can never be written', async () => {
    await start();
    server.inject({ route: '*', kind: 'status', status: 403, times: 100 });

    const url = await sticky().finish('Never');

    expect(url).toBeUndefined();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
  });

  it('cuts a body over GitHub’s limit rather than have it refused', async () => {
    await start();

    await sticky().finish('x'.repeat(70_000));

    expect([...server.state.comments[0]!.body].length).toBeLessThanOrEqual(65_536);
    expect(server.state.comments[0]!.body).toMatch(/shortened to fit the comment limit/);
  });
});

describe('postStickyComment', () => {
  it('writes one comment and resolves to its URL', async () => {
    await start();

    const url = await postStickyComment({ octokit, repo, issueNumber: 7, key: 'refusal' }, 'Refused');

    expect(url).toMatch(/#issuecomment-\d+$/);
    expect(server.state.comments).toHaveLength(1);
  });
});

describe('tokenIdentity', () => {
  it('asks GraphQL’s viewer, which answers for GITHUB_TOKEN', async () => {
    await start();

    expect(await tokenIdentity(octokit)).toEqual({ login: 'github-actions[bot]', how: 'graphql' });
  });

  it('falls back to GET /user, then to github-actions[bot]', async () => {
    await start({ login: 'octocat' });
    server.inject({ route: 'POST /graphql', kind: 'status', status: 404, times: 2 });

    expect(await tokenIdentity(octokit)).toEqual({ login: 'octocat', how: 'rest' });

    await server.close();
    await start({ faults: [{ route: '*', kind: 'status', status: 403, times: 2 }] });
    expect(await tokenIdentity(octokit)).toEqual({ login: 'github-actions[bot]', how: 'assumed' });
  });

  it('lets a personal token find the comments it wrote', async () => {
    await start({
      login: 'octocat',
      comments: [
        { issueNumber: 7, body: `${MARKER}\nby the bot`, user: 'github-actions[bot]' },
        { issueNumber: 7, body: `${MARKER}\nby octocat`, user: 'octocat' },
      ],
    });

    const found = await findStickyComment(
      octokit,
      repo,
      7,
      stickyMarker(),
      (await tokenIdentity(octokit)).login,
    );

    expect(found?.body).toBe(`${MARKER}\nby octocat`);
  });
});
