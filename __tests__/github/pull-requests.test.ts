import { getOctokit } from '@actions/github';
import { PullRequestError, pullRequestBase, upsertPullRequest } from '../../src/github/pull-requests.js';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_pullRequestsToken0123456789';
const CREATE = 'POST /repos/{owner}/{repo}/pulls';
const LIST = 'GET /repos/{owner}/{repo}/pulls';
const spec = {
  head: 'parallel-agents/bac-1',
  base: 'main',
  title: 'BAC-1: Add a changelog',
  body: 'Fixes BAC-1',
};

let server: GitHubServer;
let octokit: ReturnType<typeof getOctokit>;
async function start(options: GitHubServerOptions = {}): Promise<void> {
  server = await startGitHubServer({ tokens: [TOKEN], ...options });
  octokit = getOctokit(TOKEN, { baseUrl: server.url });
}
afterEach(() => server?.close());

async function refusal(promise: Promise<unknown>): Promise<PullRequestError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PullRequestError);
  return error as PullRequestError;
}

/** What upsertPullRequest throws when GitHub answers `route` with a 403 saying `message`. */
async function refusedBy(route: string, message: string): Promise<PullRequestError> {
  await start();
  server.inject({ route, kind: 'status', status: 403, message });
  return refusal(upsertPullRequest(octokit, repo, spec));
}

describe('upsertPullRequest', () => {
  it('opens a draft, then finds it by owner:branch and updates it instead of opening another', async () => {
    await start();
    const opened = await upsertPullRequest(octokit, repo, spec);
    expect(opened).toEqual({
      pullRequest: { number: 1, url: 'https://github.com/octo-org/gateway/pull/1' },
      created: true,
    });
    expect(server.state.pulls[0]).toMatchObject({ draft: true, head: 'parallel-agents/bac-1', base: 'main' });

    // A reviewer marked it ready meanwhile: the update keeps that.
    server.state.pulls[0]!.draft = false;
    const updated = await upsertPullRequest(octokit, repo, {
      ...spec,
      title: 'BAC-1: Add a changelog, again',
      body: 'v2',
    });
    expect(updated).toEqual({ ...opened, created: false });
    expect(server.state.pulls).toHaveLength(1);
    expect(server.state.pulls[0]).toMatchObject({
      title: 'BAC-1: Add a changelog, again',
      body: 'v2',
      draft: false,
    });
    expect(server.calls.find((c) => c.route === LIST)?.query).toMatchObject({
      head: 'octo-org:parallel-agents/bac-1',
      base: 'main',
      state: 'open',
    });
  });

  it('opens a new pull request when the earlier one was closed, or went into another base', async () => {
    await start({
      pulls: [
        { head: 'parallel-agents/bac-1', state: 'closed' },
        { head: 'parallel-agents/bac-1', base: 'release' },
      ],
    });
    const outcome = await upsertPullRequest(octokit, repo, spec);
    expect(outcome.created).toBe(true);
    expect(server.state.pulls.filter((p) => p.state === 'open' && p.base === 'main')).toHaveLength(1);
  });

  it('names the repository setting when GitHub Actions may not open pull requests', async () => {
    const error = await refusedBy(
      CREATE,
      'GitHub Actions is not permitted to create or approve pull requests.',
    );
    expect(error.fatal).toBe(true);
    expect(error.message).toContain('"Allow GitHub Actions to create and approve pull requests"');
    expect(error.message).toContain('Settings → Actions → General → Workflow permissions');
    expect(error.message).not.toContain('\n');
  });

  it('says in one line that the token may not write pull requests, and the permissions: line that fixes it', async () => {
    const error = await refusedBy(CREATE, 'Resource not accessible by integration');
    expect(error.fatal).toBe(true);
    expect(error.message).toBe(
      'Pull requests in octo-org/gateway: the token may not write pull requests (Resource not accessible by integration). To fix it, add `pull-requests: write` under `permissions:` in the workflow (for the job, or at the top of the file)',
    );
  });

  it('names the permissions: line when the token may not write pull requests, on the look-up too', async () => {
    const error = await refusedBy(LIST, 'Resource not accessible by integration');
    expect(error.fatal).toBe(true);
    expect(error.message).toMatch(/add `pull-requests: write` under `permissions:` in the workflow/);
  });

  it('says a refused token is refused, and anything else with its status, in one line', async () => {
    await start();
    const bad = getOctokit('ghs_wrong', { baseUrl: server.url });
    expect((await refusal(upsertPullRequest(bad, repo, spec))).message).toMatch(
      /Bad credentials.*`github-token`/,
    );

    server.inject({ route: CREATE, kind: 'status', status: 502 });
    const error = await refusal(upsertPullRequest(octokit, repo, spec));
    expect(error.fatal).toBe(false);
    expect(error.message).toMatch(
      /^Pull request for parallel-agents\/bac-1 in octo-org\/gateway could not be opened \(HTTP 502: Bad Gateway/,
    );
  });

  it('refuses a head branch that origin does not have, as GitHub does', async () => {
    const workspace = makeRepo({ 'README.md': '# Gateway\n' });
    const origin = addBareOrigin(workspace);
    await start({ origin });
    const error = await refusal(upsertPullRequest(octokit, repo, spec));
    expect(error.message).toMatch(/HTTP 422: Validation Failed/);

    git(workspace, 'branch', 'parallel-agents/bac-1');
    git(workspace, 'push', '-q', 'origin', 'parallel-agents/bac-1');
    expect((await upsertPullRequest(octokit, repo, spec)).created).toBe(true);
  });
});

describe('pullRequestBase', () => {
  it('is the branch the workflow ran on, or the pull request branch of a pull request event, and no tag', () => {
    expect(pullRequestBase({ GITHUB_REF: 'refs/heads/release/2.x' })).toBe('release/2.x');
    expect(pullRequestBase({ GITHUB_REF: 'refs/pull/12/merge', GITHUB_HEAD_REF: 'feature' })).toBe('feature');
    expect(pullRequestBase({ GITHUB_REF: 'refs/tags/v1.0.0', GITHUB_HEAD_REF: '' })).toBeUndefined();
    expect(pullRequestBase({})).toBeUndefined();
  });
});

describe('the stand-in', () => {
  it('updates a pull request and its issue with PATCH, and answers it with GET', async () => {
    await start({ pulls: [{ number: 4, head: 'feature', title: 'Old' }] });
    const { data } = await octokit.rest.pulls.update({
      ...repo,
      pull_number: 4,
      title: 'New',
      state: 'closed',
    });
    expect(data).toMatchObject({ number: 4, title: 'New', state: 'closed', merged: false });
    expect(data.closed_at).not.toBeNull();
    expect((await octokit.rest.issues.get({ ...repo, issue_number: 4 })).data).toMatchObject({
      title: 'New',
      state: 'closed',
    });
    expect((await octokit.rest.pulls.get({ ...repo, pull_number: 4 })).data.head.ref).toBe('feature');
    const missing = await octokit.rest.pulls
      .get({ ...repo, pull_number: 99 })
      .catch((e: { status: number }) => e);
    expect(missing).toMatchObject({ status: 404 });
  });
});
