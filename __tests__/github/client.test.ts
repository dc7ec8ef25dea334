import { createGitHubClient, type GitHubRetryPacing } from '../../src/github/client.js';
import type { GitHubClient } from '../../src/github/context.js';
import { PullRequestError, upsertPullRequest } from '../../src/github/pull-requests.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_standInToken0123456789';
const ISSUE = 'GET /repos/{owner}/{repo}/issues/{issue_number}';
const COMMENT = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
/** A second of GitHub's is 20 ms here, so waits can be measured without being sat through. */
const FAST: GitHubRetryPacing = { msPerSecond: 20, retries: 3, maxWaitSeconds: 60 };

let server: GitHubServer;
let octokit: GitHubClient;

beforeEach(async () => {
  server = await startGitHubServer({ issues: [{ number: 7, title: 'Tasks' }] });
  octokit = createGitHubClient(TOKEN, server.url, FAST);
});

afterEach(async () => {
  await server.close();
});

function statuses(route: string): number[] {
  return server.calls.filter((c) => c.route === route).map((c) => c.status);
}

async function rejection(promise: Promise<unknown>): Promise<{ status?: number; message: string }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as { status?: number; message: string },
  );
}

describe('createGitHubClient', () => {
  it('sends a request GitHub failed with a 5xx again, and it goes through', async () => {
    server.inject({ route: ISSUE, kind: 'status', status: 502, times: 2 });

    const { data } = await octokit.rest.issues.get({ ...repo, issue_number: 7 });

    expect(data.title).toBe('Tasks');
    expect(statuses(ISSUE)).toEqual([502, 502, 200]);
  });

  it.each([403, 429] as const)(
    'waits out a secondary rate limit (%i) as long as retry-after says, then writes once',
    async (status) => {
      server.inject({ route: COMMENT, kind: 'secondary-rate-limit', retryAfterSeconds: 5, status });

      const started = Date.now();
      await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'Hello' });

      expect(Date.now() - started).toBeGreaterThanOrEqual(5 * FAST.msPerSecond - 5);
      expect(statuses(COMMENT)).toEqual([status, 201]);
      expect(server.state.comments.map((c) => c.body)).toEqual(['Hello']);
    },
  );

  it('waits for a spent rate limit to reset', async () => {
    server.inject({ route: ISSUE, kind: 'rate-limit', resetInSeconds: 2 });

    await octokit.rest.issues.get({ ...repo, issue_number: 7 });

    expect(statuses(ISSUE)).toEqual([403, 200]);
  });

  it('fails at once when the rate limit resets later than it waits', async () => {
    server.inject({ route: ISSUE, kind: 'rate-limit', resetInSeconds: 3600 });

    const error = await rejection(octokit.rest.issues.get({ ...repo, issue_number: 7 }));

    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^API rate limit exceeded/);
    expect(statuses(ISSUE)).toEqual([403]);
  });

  it('sends a refusal once: a 403 that is no rate limit, a 404', async () => {
    server.inject({
      route: ISSUE,
      kind: 'status',
      status: 403,
      message: 'Resource not accessible by integration',
    });

    expect((await rejection(octokit.rest.issues.get({ ...repo, issue_number: 7 }))).status).toBe(403);
    expect((await rejection(octokit.rest.issues.get({ ...repo, issue_number: 8 }))).status).toBe(404);
    expect(statuses(ISSUE)).toEqual([403, 404]);
  });

  it('ends in one line with what GitHub answered once every retry failed', async () => {
    server.inject({ route: 'POST /repos/{owner}/{repo}/pulls', kind: 'status', status: 500, times: 100 });

    const error = await rejection(
      upsertPullRequest(octokit, repo, {
        head: 'parallel-agents/bac-1',
        base: 'main',
        title: 'BAC-1',
        body: '',
      }),
    );

    expect(error).toBeInstanceOf(PullRequestError);
    expect(error.message).toMatch(
      /^Pull request for parallel-agents\/bac-1 in octo-org\/gateway could not be opened \(HTTP 500: Internal Server Error/,
    );
    expect(statuses('POST /repos/{owner}/{repo}/pulls')).toEqual([500, 500, 500, 500]);
  });

  it('sends writes as they come, without spacing them a second or more apart', async () => {
    const started = Date.now();
    for (const body of ['One', 'Two', 'Three']) {
      await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body });
    }

    // Spaced a second apart, the three would take two seconds at least; at once, a few milliseconds each.
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(server.state.comments).toHaveLength(3);
  });
});
