import fs from 'node:fs';
import path from 'node:path';
import { getOctokit } from '@actions/github';
import { noUsage, type AgentResult } from '../../src/result.js';
import { combinedBranchName, deliverWork, type DeliveryOptions } from '../../src/deliver/deliver.js';
import { EventStream, type RunEvent } from '../../src/events.js';
import { PRICES } from '../../src/model/pricing.js';
import { initialRunState, resultsOf, runReducer, type RunState } from '../../src/run-state.js';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';
import { startLinearServer, type LinearServer } from '../../support/linear-server.js';

const TOKEN = 'ghs_deliverToken0123456789';
const LINEAR_KEY = 'lin_api_deliverKey0123456789abcdef';

let github: GitHubServer | undefined;
let linear: LinearServer | undefined;
afterEach(async () => {
  await github?.close();
  await linear?.close();
  github = linear = undefined;
});

/** An agent's result whose branch really holds `files`, committed on top of main and pushed when there is an origin. */
function agentResult(repo: string, id: string, files: Record<string, string>, push = true): AgentResult {
  const branch = `parallel-agents/${id.toLowerCase()}`;
  git(repo, 'checkout', '-q', '-b', branch, 'main');
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(repo, file), content);
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'commit', '-qm', id);
  const commit = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', 'main');
  if (push) git(repo, 'push', '-q', 'origin', branch);
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-6',
    startedAt: 1_000,
    endedAt: 3_000,
    seconds: 2,
    turns: 3,
    toolCalls: 2,
    usage: noUsage(),
    costUsd: 0.01,
    report: `Did ${id}.`,
    branch,
    commit,
    pushed: push,
    filesChanged: Object.keys(files),
    insertions: 1,
    deletions: 0,
  };
}

/**
 * The results as the ended tasks of a run on `events`, delivered from the state those events fold to, as the action
 * delivers them. Resolves to the failure line and the state once delivery has told the stream what it did.
 */
async function deliverResults(
  results: AgentResult[],
  events: EventStream,
  options: DeliveryOptions,
): Promise<string | undefined> {
  let state = initialRunState();
  const reduce = runReducer(PRICES);
  events.on((event) => (state = reduce(state, event)));
  const tasks = results.map(({ id, title, model }) => ({ id, title, model }));
  events.emit({ type: 'run-started', at: 1_000, tasks, concurrency: 2, source: 'a test' });
  for (const result of results) events.emit({ type: 'ended', task: result.id, at: 3_000, result });
  const failure = await deliverWork(events, () => state, options);
  delivered = state;
  return failure;
}

/** The state the last {@link deliverResults} left. */
let delivered: RunState = initialRunState();

async function setUp(options: GitHubServerOptions = {}) {
  const repo = makeRepo({ 'README.md': '# Gateway\n' });
  const origin = addBareOrigin(repo);
  github = await startGitHubServer({ tokens: [TOKEN], origin, ...options });
  const client = getOctokit(TOKEN, { baseUrl: github.url });
  const events = new EventStream((error) => {
    throw error;
  });
  const seen: RunEvent[] = [];
  events.on((event) => seen.push(event));
  const options_ = (overrides: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
    settings: { workspace: repo, githubToken: TOKEN, pullRequests: 'per-task', secrets: [TOKEN] },
    plan: { order: ['BAC-1', 'BAC-2', 'BAC-3'] },
    octokit: () => client,
    repo: { owner: 'octo-org', repo: 'gateway' },
    env: { GITHUB_REF: 'refs/heads/main' },
    ...overrides,
  });
  const warnings = () => seen.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  return { repo, origin, events, seen, options: options_, warnings };
}

describe('deliverWork', () => {
  it('opens the pull requests, then comments on Linear and attaches each one', async () => {
    const { repo, events, seen, options, warnings } = await setUp();
    linear = await startLinearServer({
      apiKey: LINEAR_KEY,
      issues: [
        { identifier: 'BAC-1', title: 'One' },
        { identifier: 'BAC-2', title: 'Two' },
      ],
    });
    const results = [
      agentResult(repo, 'BAC-1', { 'a.md': 'a\n' }),
      agentResult(repo, 'BAC-2', { 'b.md': 'b\n' }),
    ];
    const failure = await deliverResults(
      results,
      events,
      options({
        settings: { ...options().settings, linearApiKey: LINEAR_KEY },
        runUrl: 'https://github.com/octo-org/gateway/actions/runs/1',
        linearApiUrl: linear.url,
      }),
    );
    expect(failure).toBeUndefined();
    expect(warnings()).toEqual([]);
    const pulls = seen.flatMap((e) =>
      e.type === 'pull-request' ? [[e.task, e.pullRequest.url, e.created]] : [],
    );
    expect(pulls).toEqual([
      ['BAC-1', 'https://github.com/octo-org/gateway/pull/1', true],
      ['BAC-2', 'https://github.com/octo-org/gateway/pull/2', true],
    ]);
    // Without an issue there is nothing to be part of.
    expect(github!.state.pulls[0]!.body).toMatch(/^Fixes BAC-1\n\n/);
    expect(linear.comments.map((c) => c.issue)).toEqual(['BAC-1', 'BAC-2']);
    expect(linear.attachments.map((a) => [a.issue, a.url])).toEqual([
      ['BAC-1', 'https://github.com/octo-org/gateway/pull/1'],
      ['BAC-2', 'https://github.com/octo-org/gateway/pull/2'],
    ]);
  });

  it('still comments on Linear when no agent changed anything, and opens nothing', async () => {
    const { repo, events, options } = await setUp();
    linear = await startLinearServer({ apiKey: LINEAR_KEY, issues: [{ identifier: 'BAC-1', title: 'One' }] });
    const { commit: _, ...unchanged } = agentResult(repo, 'BAC-1', { 'a.md': 'a\n' }, false);
    const result = { ...unchanged, filesChanged: [] };
    await deliverResults(
      [result],
      events,
      options({ settings: { ...options().settings, linearApiKey: LINEAR_KEY }, linearApiUrl: linear.url }),
    );
    expect(linear.comments.map((c) => c.issue)).toEqual(['BAC-1']);
    expect(linear.attachments).toHaveLength(0);
    expect(github!.calls).toHaveLength(0);
  });

  it('opens a ready pull request where the repository has no drafts', async () => {
    const { repo, events, options } = await setUp({ drafts: false });
    await deliverResults([agentResult(repo, 'BAC-1', { 'a.md': 'a\n' })], events, options());
    expect(github!.state.pulls.map((p) => [p.head, p.draft])).toEqual([['parallel-agents/bac-1', false]]);
  });

  it('warns and goes on when one pull request is refused for its own reason', async () => {
    const { repo, events, options, warnings } = await setUp();
    // Claimed pushed, but origin never got it: GitHub says the head is invalid.
    const lost = { ...agentResult(repo, 'BAC-1', { 'a.md': 'a\n' }, false), pushed: true };
    const failure = await deliverResults(
      [lost, agentResult(repo, 'BAC-2', { 'b.md': 'b\n' })],
      events,
      options(),
    );
    expect(failure).toBeUndefined();
    expect(warnings()).toEqual([
      expect.stringMatching(
        /^Pull request for parallel-agents\/bac-1 in octo-org\/gateway could not be opened \(HTTP 422: Validation Failed/,
      ),
    ]);
    expect(github!.state.pulls.map((p) => p.head)).toEqual(['parallel-agents/bac-2']);
  });

  it('says why no pull request was opened: no branch to open them against, or no token', async () => {
    const onTag = await setUp();
    const results = [agentResult(onTag.repo, 'BAC-1', { 'a.md': 'a\n' })];
    await deliverResults(results, onTag.events, onTag.options({ env: { GITHUB_REF: 'refs/tags/v1.0.0' } }));
    expect(onTag.warnings()).toEqual([
      'No pull requests: the workflow ran on refs/tags/v1.0.0, which is not a branch to open them against; the branches are pushed. Run the workflow on a branch',
    ]);
    await github!.close();

    const noToken = await setUp();
    const more = [agentResult(noToken.repo, 'BAC-1', { 'a.md': 'a\n' })];
    await deliverResults(more, noToken.events, noToken.options({ octokit: () => undefined }));
    expect(noToken.warnings()).toEqual([
      'No pull requests: `github-token` is empty; the branches are pushed. Leave `github-token` at its default',
    ]);
    expect(github!.calls).toHaveLength(0);
  });

  it('says for every branch GitHub refused that its pull request was not opened, with the page to open it by hand', async () => {
    const { repo, events, options } = await setUp();
    github!.inject({
      route: 'POST /repos/{owner}/{repo}/pulls',
      kind: 'status',
      status: 403,
      message: 'GitHub Actions is not permitted to create or approve pull requests.',
      times: 5,
    });
    const failure = await deliverResults(
      [agentResult(repo, 'BAC-1', { 'a.md': 'a\n' }), agentResult(repo, 'BAC-2', { 'b.md': 'b\n' })],
      events,
      options({ env: { GITHUB_REF: 'refs/heads/main', GITHUB_SERVER_URL: 'https://github.example' } }),
    );
    expect(failure).toMatch(/^Pull requests in octo-org\/gateway: GitHub Actions is not permitted/);
    expect(resultsOf(delivered).map((r) => [r.id, r.pullRequestNotOpened?.compareUrl])).toEqual([
      ['BAC-1', 'https://github.example/octo-org/gateway/compare/main...parallel-agents/bac-1?expand=1'],
      ['BAC-2', 'https://github.example/octo-org/gateway/compare/main...parallel-agents/bac-2?expand=1'],
    ]);
    expect(resultsOf(delivered)[1]!.pullRequestNotOpened!.reason).toBe(failure);
  });

  it('with pull-requests: none checks the merges and opens nothing', async () => {
    const { repo, events, seen, options } = await setUp();
    const results = [
      agentResult(repo, 'BAC-1', { 'README.md': '# Gateway (MIT)\n' }),
      agentResult(repo, 'BAC-2', { 'README.md': '# Gateway (BSD)\n' }),
    ];
    await deliverResults(
      results,
      events,
      options({ settings: { ...options().settings, pullRequests: 'none' } }),
    );
    const check = seen.find((e) => e.type === 'merge-check');
    expect(check?.type === 'merge-check' && check.check.conflicts).toEqual([
      { tasks: ['BAC-1', 'BAC-2'], files: ['README.md'] },
    ]);
    expect(github!.calls).toHaveLength(0);
  });

  it('leaves a branch whose agent did not succeed out of the combined one, and names the branch after the issue', async () => {
    const { repo, origin, events, options } = await setUp();
    const failed = { ...agentResult(repo, 'BAC-2', { 'b.md': 'b\n' }), status: 'timeout' as const };
    await deliverResults(
      [agentResult(repo, 'BAC-1', { 'a.md': 'a\n' }), failed],
      events,
      options({ settings: { ...options().settings, pullRequests: 'combined' }, issue: 12 }),
    );
    expect(combinedBranchName(12)).toBe('parallel-agents/combined-12');
    expect(combinedBranchName(undefined)).toBe('parallel-agents/combined');
    expect(combinedBranchName(12, 3)).toBe('parallel-agents/combined-12-shard-3');
    expect(combinedBranchName(undefined, 3)).toBe('parallel-agents/combined-shard-3');
    expect(git(origin, 'ls-tree', '--name-only', 'parallel-agents/combined-12')).toBe('README.md\na.md');
    const [pull] = github!.state.pulls;
    expect(pull!.body).toContain('- **BAC-2**: its agent did not succeed (⏱️ timed out)');
    expect(pull!.title).toBe('parallel-agents: BAC-1');
  });
});
