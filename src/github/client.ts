import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import type { GitHubClient } from './context.js';

/** How the client waits before sending a refused request again. */
export interface GitHubRetryPacing {
  /** Milliseconds a wait of one second takes: 1000, or less in tests. */
  msPerSecond: number;
  /** Times a request is sent again after a 5xx, or after a rate limit. */
  retries: number;
  /** A rate limit that resets later than this, in seconds, fails the request rather than holding the run. */
  maxWaitSeconds: number;
}

const GITHUB_RETRY_PACING: GitHubRetryPacing = { msPerSecond: 1000, retries: 3, maxWaitSeconds: 60 };

type WriteGroup = NonNullable<ThrottlingOptions['write']>;

/**
 * Lets writes go as they come. The plugin otherwise spaces every write 1 s apart and every pull request or comment
 * 3 s: 3 s a pull request at the end of a run, for a run that makes a few dozen writes at most, well inside GitHub's
 * limits. A limit that is hit anyway is still waited out.
 */
const UNPACED = {
  key: () => ({ schedule: (_job: unknown, task: () => unknown) => task() }),
} as unknown as WriteGroup;

/**
 * The one Octokit of a run: `@octokit/plugin-retry` sends a request GitHub failed (5xx) again, and
 * `@octokit/plugin-throttling` waits out primary and secondary rate limits for as long as GitHub asks.
 */
export function createGitHubClient(
  token: string,
  baseUrl: string,
  pacing: GitHubRetryPacing = GITHUB_RETRY_PACING,
): GitHubClient {
  const onLimit =
    (which: string) =>
    (seconds: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const again = retryCount < pacing.retries && seconds <= pacing.maxWaitSeconds;
      core.info(
        `GitHub's ${which} on ${request.method} ${request.url}: ` +
          (again ? `sending it again in ${seconds} s` : `not waiting ${seconds} s for it`),
      );
      return again;
    };
  return getOctokit(
    token,
    {
      baseUrl,
      retry: {
        retries: pacing.retries,
        retryAfterBaseValue: pacing.msPerSecond,
        // Rate limits (403, 429) are the throttling plugin's, which waits as long as GitHub asks.
        doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
      },
      throttle: {
        retryAfterBaseValue: pacing.msPerSecond,
        write: UNPACED,
        notifications: UNPACED,
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
      },
    },
    retry,
    throttling,
  );
}
