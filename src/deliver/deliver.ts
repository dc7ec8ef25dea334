import type { MergeCheck } from '../checks.js';
import { checkMerges, pushBranch, resolveCommit } from '../git/merge-check.js';
import type { AgentResult, PullRequestNotOpened, PullRequestRef } from '../result.js';
import type { EventStream } from '../events.js';
import type { GitHubClient, RepoRef } from '../github/context.js';
import {
  PullRequestError,
  pullRequestBase,
  upsertPullRequest,
  type PullRequestOutcome,
} from '../github/pull-requests.js';
import { serverUrl } from '../report/comment.js';
import {
  pullRequestTitle,
  renderCombinedBody,
  renderPullRequestBody,
  type PullRequestContext,
} from '../report/pull-request.js';
import { messageOf } from '../errors.js';
import { statusCell } from '../report/verdict.js';
import { resultsOf, type RunState } from '../run-state.js';
import type { Settings } from '../settings.js';
import { writeBackToLinear } from './linear-writeback.js';
import type { Plan } from '../tasks/plan.js';

/** Everything the way out needs besides the results. */
export interface DeliveryOptions {
  settings: Pick<
    Settings,
    'workspace' | 'githubToken' | 'pullRequests' | 'secrets' | 'linearApiKey' | 'shard'
  >;
  /** The run's plan: branches are merged in its order, dependencies first. */
  plan: Pick<Plan, 'order'>;
  /** The client for pull requests; undefined without a token. */
  octokit: () => GitHubClient | undefined;
  repo: RepoRef;
  /** The issue the run reports to: `Part of #7`, and the combined branch's name. */
  issue?: number;
  runUrl?: string;
  /** The runner's environment, for the branch the workflow ran on. */
  env: Record<string, string | undefined>;
  /** Linear's GraphQL endpoint; its public one when undefined. */
  linearApiUrl?: string;
  /** The tasks earlier runs on the issue finished that this run leaves out: checked with this run's branches. */
  earlier?: readonly EarlierBranch[];
}

/** A task an earlier run finished and pushed, which this run leaves out. */
export interface EarlierBranch {
  task: string;
  branch: string;
  commit: string;
  pullRequest?: PullRequestRef;
}

/**
 * The branch `pull-requests: combined` builds: one per issue, so a re-run replaces it, and one per shard of a fan-out,
 * so that the shards do not replace each other's.
 */
export function combinedBranchName(issue: number | undefined, shard?: number): string {
  const suffix = [issue, shard === undefined ? undefined : `shard-${shard}`].filter((p) => p !== undefined);
  return ['parallel-agents/combined', ...suffix].join('-');
}

/**
 * After the agents: trial-merge their branches (the conflict matrix and a merge order), build the combined branch,
 * open or update the pull requests, and write the results back to Linear. It reads the results from the run's state,
 * and each step's facts go out as events, so the summary, the sticky comment and the outputs show them. Resolves to
 * the line the step fails with (GitHub refused to open pull requests), or undefined; anything less is a warning.
 */
export async function deliverWork(
  events: EventStream,
  state: () => RunState,
  options: DeliveryOptions,
): Promise<string | undefined> {
  const warn = (message: string) => events.emit({ type: 'warning', at: Date.now(), message });
  const { settings } = options;
  const results = resultsOf(state());
  const position = new Map(options.plan.order.map((id, i) => [id, i]));
  const changed = results
    .filter((r) => r.commit)
    .sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
  const combined =
    settings.pullRequests === 'combined' ? combinedBranchName(options.issue, settings.shard) : undefined;
  let check: MergeCheck | undefined;
  if (changed.length > 0) {
    try {
      check = await checkBranches(settings.workspace, changed, combined, options.earlier ?? []);
      events.emit({ type: 'merge-check', at: Date.now(), check });
    } catch (error) {
      warn(`The branches could not be trial-merged: ${messageOf(error)}`);
    }
  }

  const announce = (task: string, outcome: PullRequestOutcome) =>
    events.emit({ type: 'pull-request', task, at: Date.now(), ...outcome });
  const refused = (task: string, notOpened: PullRequestNotOpened) =>
    events.emit({ type: 'pull-request-not-opened', task, at: Date.now(), notOpened });
  const failure =
    settings.pullRequests === 'none' || changed.length === 0
      ? undefined
      : await openPullRequests({ results, changed, check, combined, options, announce, refused, warn });
  if (failure) warn(failure);

  if (settings.linearApiKey) {
    // The results as the events left them: with their pull requests, and where the merge check left them out.
    const written = await writeBackToLinear(
      resultsOf(state()).map(({ leftOut, ...r }) => (combined && leftOut ? { ...r, leftOut } : r)),
      { apiKey: settings.linearApiKey, apiUrl: options.linearApiUrl, runUrl: options.runUrl },
    );
    for (const outcome of written) if (outcome.error) warn(outcome.error);
  }
  return failure;
}

/**
 * The trial merges of the changed branches, dependencies first; a branch whose agent did not succeed is in the matrix
 * but not in the merge order. With `combined`, the merge order is written to that branch.
 */
async function checkBranches(
  workspace: string,
  changed: readonly AgentResult[],
  combined: string | undefined,
  earlier: readonly EarlierBranch[],
): Promise<MergeCheck> {
  const titles = new Map(changed.map((r) => [r.id, r.title]));
  return checkMerges({
    repo: workspace,
    // Every worktree was made from the checkout's HEAD.
    base: await resolveCommit(workspace, 'HEAD'),
    // What earlier runs left comes first: this run's work was built on it, or will be merged after it.
    candidates: [
      ...earlier.map(({ task, branch, commit }) => ({ task, branch, commit })),
      ...changed.map((r) => ({
        task: r.id,
        branch: r.branch,
        commit: r.commit!,
        ...(r.status === 'succeeded'
          ? {}
          : { notMergeable: `its agent did not succeed (${statusCell(r.status)})` }),
      })),
    ],
    ...(combined
      ? {
          combined: {
            branch: combined,
            message: (task: string) => `Merge ${pullRequestTitle(task, titles.get(task) ?? '')}`,
          },
        }
      : {}),
  });
}

/** What opening the pull requests works from. */
interface PullRequestJob {
  results: readonly AgentResult[];
  /** The results with a commit, dependencies first. */
  changed: readonly AgentResult[];
  check: MergeCheck | undefined;
  /** The combined branch's name, with `pull-requests: combined`. */
  combined: string | undefined;
  options: DeliveryOptions;
  /** Tells the event stream of a task's pull request. */
  announce: (task: string, outcome: PullRequestOutcome) => void;
  /** Tells the event stream that GitHub refused a task's pull request. */
  refused: (task: string, notOpened: PullRequestNotOpened) => void;
  warn: (message: string) => void;
}

/** The pull requests: one per pushed branch, or the combined one. Resolves to the failure line, if GitHub refused. */
async function openPullRequests(job: PullRequestJob): Promise<string | undefined> {
  const { changed, combined, options, warn } = job;
  const pushed = changed.filter((r) => r.pushed);
  if (pushed.length === 0) return undefined;
  const base = pullRequestBase(options.env);
  if (!base) {
    warn(
      `No pull requests: the workflow ran on ${options.env['GITHUB_REF'] || 'no ref'}, which is not a branch to ` +
        'open them against; the branches are pushed. Run the workflow on a branch',
    );
    return undefined;
  }
  const octokit = options.octokit();
  if (!octokit) {
    warn(
      'No pull requests: `github-token` is empty; the branches are pushed. Leave `github-token` at its default',
    );
    return undefined;
  }
  const context = { issue: options.issue, runUrl: options.runUrl, secrets: options.settings.secrets };
  const to = { octokit, base, context };
  return combined ? openCombined(job, combined, to) : openEach(job, pushed, to);
}

/** Where pull requests go: GitHub's client, the branch they are opened against, what their bodies name. */
interface PullRequestTarget {
  octokit: GitHubClient;
  base: string;
  context: PullRequestContext;
}

/** The combined branch pushed and its one pull request, for every task in the merge order. */
async function openCombined(
  { results, check, options, announce, refused, warn }: PullRequestJob,
  combined: string,
  { octokit, base, context }: PullRequestTarget,
): Promise<string | undefined> {
  if (!check?.combined) return undefined;
  try {
    await pushBranch(options.settings.workspace, combined, options.settings.githubToken);
  } catch (error) {
    warn(`The combined branch ${combined} was not pushed: ${messageOf(error)}`);
    return undefined;
  }
  try {
    const outcome = await upsertPullRequest(octokit, options.repo, {
      head: combined,
      base,
      title: pullRequestTitle('parallel-agents', check.order.join(', '), options.settings.secrets),
      body: renderCombinedBody(results, check, context),
    });
    for (const task of check.order) announce(task, outcome);
  } catch (error) {
    if (!(error instanceof PullRequestError)) throw error;
    const compareUrl = compareLink(options, base, combined);
    for (const task of check.order) refused(task, { reason: error.message, compareUrl });
    return error.message;
  }
  return undefined;
}

/** One pull request per pushed branch, a stacked branch's against the work it is built on. */
async function openEach(
  { options, announce, refused, warn }: PullRequestJob,
  pushed: readonly AgentResult[],
  { octokit, base, context }: PullRequestTarget,
): Promise<string | undefined> {
  // In plan order, so the pull request of the work a branch is built on exists before the branch's own.
  // Earlier runs' pull requests count as opened: a re-run task stacks on the one it builds on.
  const earlier = options.earlier ?? [];
  const opened = new Map<string, PullRequestOutcome['pullRequest']>(
    earlier.flatMap((e) => (e.pullRequest ? [[e.task, e.pullRequest]] : [])),
  );
  const pushedBranch = new Map([
    ...earlier.map((e): [string, string] => [e.task, e.branch]),
    ...pushed.map((r): [string, string] => [r.id, r.branch]),
  ]);
  for (const [i, result] of pushed.entries()) {
    const under = (result.buildsOn ?? []).flatMap((id) => {
      const branch = pushedBranch.get(id);
      const pullRequest = opened.get(id);
      return branch ? [{ id, branch, ...(pullRequest ? { pullRequest } : {}) }] : [];
    });
    // A stacked branch's base is the nearest work it is built on that has a pull request (its first dependency,
    // else the task it stacks on), so the pull request shows its own changes; the others are named to merge first.
    const stackedOn = under.find((u) => u.pullRequest);
    try {
      const outcome = await upsertPullRequest(octokit, options.repo, {
        head: result.branch,
        base: stackedOn?.branch ?? base,
        title: pullRequestTitle(result.id, result.title, options.settings.secrets),
        body: renderPullRequestBody(result, { ...context, mergeFirst: under }),
      });
      opened.set(result.id, outcome.pullRequest);
      announce(result.id, outcome);
    } catch (error) {
      if (!(error instanceof PullRequestError)) throw error;
      // The token or the repository's settings: every other pull request would be refused the same way.
      const left = error.fatal ? pushed.slice(i) : [result];
      for (const r of left)
        refused(r.id, { reason: error.message, compareUrl: compareLink(options, base, r.branch) });
      if (error.fatal) return error.message;
      warn(error.message);
    }
  }
  return undefined;
}

/** The page where a person opens the pull request GitHub refused to open for the action: `…/compare/main...branch`. */
function compareLink(options: Pick<DeliveryOptions, 'env' | 'repo'>, base: string, head: string): string {
  const server = serverUrl(options.env);
  const ref = (name: string) => name.split('/').map(encodeURIComponent).join('/');
  return `${server}/${options.repo.owner}/${options.repo.repo}/compare/${ref(base)}...${ref(head)}?expand=1`;
}
