import { InputError } from '../errors.js';
import type { GitHubClient, RepoRef, RunContext } from './context.js';

/** The text tasks are read from, and which issue or pull request it came from. */
export interface IssueBody {
  /** The body; empty when it has none. */
  text: string;
  /** `issue #7` or `pull request #7`, for messages and `TaskSet.source`. */
  where: string;
  number: number;
}

export interface ReadIssueBodyOptions {
  /** Made only when an issue has to be fetched; absent when there is no token. */
  octokit: () => GitHubClient | undefined;
  repo: RepoRef;
  /** The `issue-number` input: fetch this issue or pull request instead of using the triggering one. */
  issueNumber?: number;
  context: RunContext;
}

/** `issue #7` or `pull request #7`. */
function describeIssue(number: number, isPullRequest: boolean): string {
  return `${isPullRequest ? 'pull request' : 'issue'} #${number}`;
}

/**
 * The body of the issue or pull request to read tasks from: the `issue-number` input's, fetched; otherwise the
 * triggering event's, straight from the payload (no request); undefined when the run has no issue at all.
 */
export async function readIssueBody(options: ReadIssueBodyOptions): Promise<IssueBody | undefined> {
  const { octokit, repo, issueNumber, context } = options;
  if (issueNumber === undefined) {
    if (!context.issue) return undefined;
    const { number, body, isPullRequest } = context.issue;
    return { text: body, where: describeIssue(number, isPullRequest), number };
  }
  const client = octokit();
  if (!client) {
    throw new InputError(
      `needs a \`github-token\` to read issue #${issueNumber}`,
      'input `issue-number`',
      'Leave `github-token` at its default (`${{ github.token }}`) or pass a token that can read issues',
    );
  }
  try {
    const { data } = await client.rest.issues.get({ ...repo, issue_number: issueNumber });
    return {
      text: data.body ?? '',
      where: describeIssue(data.number, data.pull_request != null),
      number: data.number,
    };
  } catch (error) {
    if ((error as { status?: unknown }).status !== 404) throw error;
    throw new InputError(
      `issue #${issueNumber} was not found in ${repo.owner}/${repo.repo}`,
      'input `issue-number`',
      'Check the number, and that github-token can read issues',
    );
  }
}
