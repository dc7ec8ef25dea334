import type { EventStream } from '../events.js';
import type { RunState } from '../run-state.js';
import type { GitHubClient, RepoRef } from './context.js';
import { StickyComment, type Clock, type StickyCommentOptions } from './sticky-comment.js';

export interface CommentReporterOptions {
  octokit: GitHubClient;
  repo: RepoRef;
  /** The issue or pull request to comment on. */
  issueNumber: number;
  events: EventStream;
  /** The run's state, as its reducer has folded the events so far: the one every reporter renders. */
  state: () => RunState;
  /** The body for a state of the run (`renderComment` with the run's view). Called only when a body is sent. */
  render: (state: RunState) => string;
  /** Milliseconds between two updates, at least (see `EDIT_PACE` for the rest of the pace). */
  minIntervalMs?: number;
  /** Where the pace reads the time; the real clock by default. */
  clock?: Clock;
  /** The token's login, when known. */
  login?: string;
  warn?: StickyCommentOptions['warn'];
}

export interface CommentReporter {
  /** The comment's URL, once it exists. */
  readonly url: string | undefined;
  /**
   * Stops listening and writes the last body: `body` when given (a string, or rendered from the final state), else
   * `render` of the final state. Resolves to the comment's URL (the `comment-url` output); undefined when it could
   * not be written.
   */
  finish(body?: string | ((state: RunState) => string)): Promise<string | undefined>;
}

/**
 * The sticky comment kept up to date from the run's events: written at once (the run starting), then on every
 * change at the pace GitHub's limits allow (see `EDIT_PACE`), and a last time by `finish`. It renders the run's own
 * state, read when a body is sent. A failed write warns and the run goes on.
 */
export function commentReporter(options: CommentReporterOptions): CommentReporter {
  const sticky = new StickyComment({
    octokit: options.octokit,
    repo: options.repo,
    issueNumber: options.issueNumber,
    minIntervalMs: options.minIntervalMs,
    ...(options.clock ? { clock: options.clock } : {}),
    login: options.login,
    warn: options.warn,
  });
  const render = () => options.render(options.state());
  const unsubscribe = options.events.on(() => sticky.update(render));
  sticky.update(render);

  return {
    get url() {
      return sticky.url;
    },
    finish(body) {
      unsubscribe();
      if (body === undefined) return sticky.finish(render);
      return sticky.finish(typeof body === 'string' ? body : () => body(options.state()));
    },
  };
}
