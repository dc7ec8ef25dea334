import type { GitHubClient, RepoRef } from './context.js';

/**
 * Takes the trigger label off the issue or pull request so it can be added again. A label already gone (someone
 * removed it by hand) is not an error; any other failure is reported through `warn` and never thrown, since the
 * run's outcome does not depend on it. Resolves to whether the label is off.
 */
export async function removeLabel(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  name: string,
  warn: (message: string) => void,
): Promise<boolean> {
  try {
    await octokit.rest.issues.removeLabel({ ...repo, issue_number: issueNumber, name });
    return true;
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return true;
    const message = error instanceof Error ? error.message : String(error);
    warn(
      `Could not remove the label "${name}" from #${issueNumber}, so adding it again will not start a run until it is removed: ${message}`,
    );
    return false;
  }
}
