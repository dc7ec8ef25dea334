import type { PullRequestRef } from '../result.js';
import type { GitHubClient, RepoRef } from './context.js';
import { singleLine } from '../report/sanitize.js';

/** What a pull request should say and where it goes. */
export interface PullRequestSpec {
  /** The branch with the changes, in the same repository. */
  head: string;
  /** The branch it would merge into. */
  base: string;
  title: string;
  body: string;
}

/** Whether the pull request was opened now or was already open (from an earlier run) and has been updated. */
export interface PullRequestOutcome {
  pullRequest: PullRequestRef;
  created: boolean;
}

/**
 * GitHub refused to open or update a pull request. The message is one line: what, where, and how to fix it.
 * `fatal` errors (the token or the repository's settings) would refuse every other pull request of the run as well.
 */
export class PullRequestError extends Error {
  override name = 'PullRequestError';

  constructor(
    message: string,
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

/** The repository setting that lets `GITHUB_TOKEN` open pull requests, as GitHub's settings page names it. */
const ACTIONS_SETTING =
  'turn on "Allow GitHub Actions to create and approve pull requests" in the repository\'s Settings → Actions → ' +
  "General → Workflow permissions (in the organization's settings first, if it is greyed out), or pass a GitHub " +
  'App token as `github-token`';
const PERMISSIONS_LINE =
  'add `pull-requests: write` under `permissions:` in the workflow (for the job, or at the top of the file)';

/**
 * Opens a draft pull request for `spec.head`, or, when one is already open from that branch into the same base,
 * updates its title and body instead (a re-run of the task). Its draft state is left as it is: a reviewer may have
 * marked it ready. Where drafts are not available (some private repositories' plans), it is opened as a ready pull
 * request. Rejects with a {@link PullRequestError}.
 */
export async function upsertPullRequest(
  octokit: GitHubClient,
  repo: RepoRef,
  spec: PullRequestSpec,
): Promise<PullRequestOutcome> {
  const where = `${repo.owner}/${repo.repo}`;
  try {
    const open = await findOpenPullRequest(octokit, repo, spec.head, spec.base);
    if (open) {
      const { data } = await octokit.rest.pulls.update({
        ...repo,
        pull_number: open.number,
        title: spec.title,
        body: spec.body,
      });
      return { pullRequest: { number: data.number, url: data.html_url }, created: false };
    }
    const create = (draft: boolean) =>
      octokit.rest.pulls.create({
        ...repo,
        head: spec.head,
        base: spec.base,
        title: spec.title,
        body: spec.body,
        draft,
      });
    try {
      const { data } = await create(true);
      return { pullRequest: { number: data.number, url: data.html_url }, created: true };
    } catch (error) {
      if (!/draft pull requests are not supported/i.test(octokitMessage(error))) throw error;
      const { data } = await create(false);
      return { pullRequest: { number: data.number, url: data.html_url }, created: true };
    }
  } catch (error) {
    throw describeFailure(error, where, spec.head);
  }
}

/** The open pull request from `head` (a branch of `repo` itself) into `base`, if there is one. */
async function findOpenPullRequest(
  octokit: GitHubClient,
  repo: RepoRef,
  head: string,
  base: string,
): Promise<{ number: number } | undefined> {
  // GitHub filters by head only when it is given as `owner:branch`.
  const { data } = await octokit.rest.pulls.list({
    ...repo,
    head: `${repo.owner}:${head}`,
    base,
    state: 'open',
    per_page: 100,
  });
  return data.find((p) => p.head.ref === head && p.base.ref === base);
}

/** One line for a refusal: the two 403s name their fix; anything else says what GitHub answered. */
function describeFailure(error: unknown, where: string, head: string): PullRequestError {
  if (error instanceof PullRequestError) return error;
  const status = (error as { status?: unknown }).status;
  const message = octokitMessage(error);
  if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
    return new PullRequestError(
      `Pull requests in ${where}: GitHub Actions is not permitted to create or approve pull requests. To fix it, ${ACTIONS_SETTING}`,
      true,
    );
  }
  if (status === 403 && /resource not accessible by integration/i.test(message)) {
    return new PullRequestError(
      `Pull requests in ${where}: the token may not write pull requests (Resource not accessible by integration). To fix it, ${PERMISSIONS_LINE}`,
      true,
    );
  }
  if (status === 401) {
    return new PullRequestError(
      `Pull requests in ${where}: GitHub refused the token (Bad credentials). Pass a valid token as \`github-token\`, or leave it at its default`,
      true,
    );
  }
  const http = typeof status === 'number' ? `HTTP ${status}: ` : '';
  return new PullRequestError(
    `Pull request for ${head} in ${where} could not be opened (${http}${singleLine(message)})`,
    status === 403 || status === 404,
  );
}

/** Octokit's message, with the field errors of a 422 that it leaves in the response body. */
function octokitMessage(error: unknown): string {
  const base = error instanceof Error ? error.message : String(error);
  const errors = (error as { response?: { data?: { errors?: unknown } } }).response?.data?.errors;
  if (!Array.isArray(errors)) return base;
  const details = errors
    .map((e) => (typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined))
    .filter((m): m is string => typeof m === 'string');
  return details.length ? `${base}: ${details.join('; ')}` : base;
}

/**
 * The branch pull requests go into: the branch the workflow ran on (`GITHUB_REF`), or, for a pull request's event,
 * that pull request's branch (`GITHUB_HEAD_REF`). Undefined when the run is on a tag or another ref that is no branch.
 */
export function pullRequestBase(env: Record<string, string | undefined>): string | undefined {
  const ref = env['GITHUB_REF'] ?? '';
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  return env['GITHUB_HEAD_REF'] || undefined;
}
