import { PRICES, type PriceTable } from '../model/pricing.js';
import type { EventStream } from '../events.js';
import { initialRunState, runReducer, type RunState } from '../run-state.js';
import type { GitHubClient, RepoRef } from './context.js';
import { StickyComment, type StickyCommentOptions } from './sticky-comment.js';

export interface CommentReporterOptions {
  octokit: GitHubClient;
  repo: RepoRef;
  /** The issue or pull request to comment on. */
  issueNumber: number;
  events: EventStream;
  /** The body for a state of the run (`renderComment` with the run's view). Called only when a body is sent. */
  render: (state: RunState) => string;
  /** Prices for the spend shown while the run goes on. Default: the built-in table. */
  prices?: PriceTable;
  /** The state so far, when the reporter subscribes after the run has begun. */
  initialState?: RunState;
  /** Milliseconds between two updates, at least. */
  minIntervalMs?: number;
  /** The token's login, when known. */
  login?: string;
  warn?: StickyCommentOptions['warn'];
}

export interface CommentReporter {
  /** The run as the reporter has folded it from the events. */
  readonly state: RunState;
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
 * change, at most once per interval, and a last time by `finish`. A failed write warns and the run goes on.
 */
export function commentReporter(options: CommentReporterOptions): CommentReporter {
  const reduce = runReducer(options.prices ?? PRICES);
  let state = options.initialState ?? initialRunState();
  const sticky = new StickyComment({
    octokit: options.octokit,
    repo: options.repo,
    issueNumber: options.issueNumber,
    minIntervalMs: options.minIntervalMs,
    login: options.login,
    warn: options.warn,
  });
  const render = () => options.render(state);
  const unsubscribe = options.events.on((event) => {
    state = reduce(state, event);
    sticky.update(render);
  });
  sticky.update(render);

  return {
    get state() {
      return state;
    },
    get url() {
      return sticky.url;
    },
    finish(body) {
      unsubscribe();
      if (body === undefined) return sticky.finish(render);
      return sticky.finish(typeof body === 'string' ? body : () => body(state));
    },
  };
}
