import { readOutcomeRecord, type Outcome } from '../report/outcome.js';
import type { GitHubClient, RepoRef } from './context.js';
import { findStickyComment, stickyMarker, tokenIdentity } from './sticky-comment.js';

/**
 * Each task's status in the last run on the issue, from the hidden record at the end of the action's own sticky
 * comment (see `renderOutcomeRecord`); undefined when no run has finished there yet. Only a comment by the token's
 * own user counts: anyone can quote the marker.
 */
export async function readPreviousOutcome(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
): Promise<Outcome | undefined> {
  const { login } = await tokenIdentity(octokit);
  const found = await findStickyComment(octokit, repo, issueNumber, stickyMarker(), login);
  return found ? readOutcomeRecord(found.body) : undefined;
}
