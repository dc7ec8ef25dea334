import * as core from '@actions/core';
import { COMMENT_MAX_CHARS } from '../report/comment.js';
import type { GitHubClient, RepoRef } from './context.js';

/** Who the token's comments are by when nothing better can be learnt: the `GITHUB_TOKEN`'s bot. */
const ACTIONS_BOT = 'github-actions[bot]';

/**
 * The pace of a comment's edits. GitHub's secondary limit on content creation allows about 80 a minute and 500 an
 * hour per token, and other steps share the token. A run's first few edits go out as fast as `minIntervalMs` allows
 * (`burst` of them), then one every `steadyIntervalMs`: a 10-minute run edits its comment at most about 45 times, an
 * hour-long one about 245, plus each run's last edit.
 */
const EDIT_PACE = { minIntervalMs: 3_000, steadyIntervalMs: 15_000, burst: 5 };

/** Where the pacing reads the time and waits: the real clock, unless a test runs a faster one. */
export interface Clock {
  now(): number;
  /** Calls `run` after `ms`, unless the returned function is called first. Never keeps the process alive. */
  after(ms: number, run: () => void): () => void;
}

const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  after: (ms, run) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * The hidden first line by which a sticky comment is found again: `<!-- parallel-agents -->`, or with a key
 * (`<!-- parallel-agents:refusal -->`) for a second comment of another kind on the same issue.
 */
export function stickyMarker(key?: string): string {
  const suffix = key ? `:${key.replace(/[^\w.-]/g, '-')}` : '';
  return `<!-- parallel-agents${suffix} -->`;
}

/** The comment, as far as the sticky comment needs it. */
export interface FoundComment {
  id: number;
  url: string;
  body: string;
}

/** Whose comments count as the action's own, and how that was learnt (for the debug log). */
export interface TokenIdentity {
  login: string;
  how: 'given' | 'graphql' | 'rest' | 'assumed';
}

/**
 * The login of the token's user, whose comments are the action's own. GraphQL's `viewer` answers for user tokens and
 * for installation tokens alike (`GITHUB_TOKEN` is one: `github-actions[bot]`; a GitHub App's token: `<slug>[bot]`);
 * REST `GET /user` answers user tokens only. When neither answers (a proxy without GraphQL, a token scoped too
 * narrowly), the token is taken to be `GITHUB_TOKEN`, the default, and a comment by any other author is left alone.
 */
export async function tokenIdentity(octokit: GitHubClient): Promise<TokenIdentity> {
  const known = identities.get(octokit);
  if (known) return known;
  const identity = await lookUpIdentity(octokit);
  // A learnt identity holds for the client's whole run; a guess is not kept, so a later look-up may still learn it.
  if (identity.how !== 'assumed') identities.set(octokit, identity);
  return identity;
}

/** Each client's token identity, once learnt: the last run's record and the sticky comment both need it. */
const identities = new WeakMap<GitHubClient, TokenIdentity>();

async function lookUpIdentity(octokit: GitHubClient): Promise<TokenIdentity> {
  try {
    const data = await octokit.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }');
    const login = data.viewer?.login;
    if (typeof login === 'string' && login) return { login, how: 'graphql' };
  } catch (error) {
    core.debug(`GraphQL viewer look-up failed: ${describe(error)}`);
  }
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    if (data.login) return { login: data.login, how: 'rest' };
  } catch (error) {
    core.debug(`GET /user failed: ${describe(error)}`);
  }
  return { login: ACTIONS_BOT, how: 'assumed' };
}

/** Whether a comment's author is `login`. A bot's login may come back from GraphQL with or without `[bot]`. */
function sameAuthor(user: { login?: string; type?: string } | null | undefined, login: string): boolean {
  const author = user?.login?.toLowerCase();
  if (!author) return false;
  const wanted = login.toLowerCase();
  return author === wanted || (user?.type === 'Bot' && author === `${wanted}[bot]`);
}

/**
 * The first comment on the issue that starts with `marker` and is by `login`, through every page. Both must hold:
 * anyone can quote the marker, and a token that may write issues could edit their comment.
 */
export async function findStickyComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  login: string,
): Promise<FoundComment | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  for await (const { data } of pages) {
    for (const comment of data) {
      const body = comment.body ?? '';
      if (body.trimStart().startsWith(marker) && sameAuthor(comment.user, login)) {
        return { id: comment.id, url: comment.html_url, body };
      }
    }
  }
  return undefined;
}

export interface StickyCommentOptions {
  octokit: GitHubClient;
  repo: RepoRef;
  /** The issue or pull request it is on. */
  issueNumber: number;
  /** Keeps a second kind of comment apart from the run's (see {@link stickyMarker}). */
  key?: string;
  /** The token's login, when known; otherwise learnt with {@link tokenIdentity}. */
  login?: string;
  /** Milliseconds between two requests, at least. Default {@link EDIT_PACE}'s. */
  minIntervalMs?: number;
  /** Milliseconds between two requests once the first `burst` have gone out. Default {@link EDIT_PACE}'s. */
  steadyIntervalMs?: number;
  /** Requests that may go out `minIntervalMs` apart before the steady pace holds. Default {@link EDIT_PACE}'s. */
  burst?: number;
  clock?: Clock;
  /** Where a failed update is reported. Default `core.warning`: a comment that cannot be written never fails a run. */
  warn?: (message: string) => void;
}

/** A body, or how to render one when it is about to be sent (so a burst of updates renders once). */
export type CommentBody = string | (() => string);

/**
 * One comment per issue, created once and edited in place. Updates are paced (see {@link EDIT_PACE}): never two at
 * once, at least `minIntervalMs` apart, and past the first `burst` no more than one every `steadyIntervalMs`. They are
 * coalesced: only the newest body waiting is sent. `finish` always sends the last one, at once. A failed request is
 * reported through `warn` and never thrown.
 */
export class StickyComment {
  readonly marker: string;
  readonly #options: StickyCommentOptions;
  readonly #minInterval: number;
  readonly #steadyInterval: number;
  readonly #burst: number;
  readonly #clock: Clock;
  /** Requests that may still go out at the fast pace: a bucket that refills one every steady interval. */
  #credit: number;
  #creditAt: number;
  readonly #warn: (message: string) => void;
  #identity: Promise<string> | undefined;
  #id: number | undefined;
  #url: string | undefined;
  /** Whether the issue has been searched for an earlier comment; done once, before the first write. */
  #searched = false;
  #lastBody: string | undefined;
  #pending: (() => string) | undefined;
  #inFlight: Promise<void> | undefined;
  #timer: (() => void) | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  #finished = false;
  #failures = 0;
  /** Requests made, for tests and the debug log. */
  requests = 0;

  constructor(options: StickyCommentOptions) {
    this.#options = options;
    this.marker = stickyMarker(options.key);
    this.#minInterval = options.minIntervalMs ?? EDIT_PACE.minIntervalMs;
    this.#steadyInterval = Math.max(
      this.#minInterval,
      options.steadyIntervalMs ?? EDIT_PACE.steadyIntervalMs,
    );
    this.#burst = Math.max(1, options.burst ?? EDIT_PACE.burst);
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#credit = this.#burst;
    this.#creditAt = this.#clock.now();
    this.#warn = options.warn ?? ((message) => core.warning(message));
  }

  /** The comment's URL, once it exists. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Replaces the body waiting to be sent; it goes as soon as the interval and any request in flight allow. */
  update(body: CommentBody): void {
    if (this.#finished) return;
    this.#pending = typeof body === 'string' ? () => body : body;
    this.#schedule();
  }

  /**
   * Sends `body` (or the body still waiting) once the request in flight is done, without waiting out the interval,
   * and stops taking updates. Resolves to the comment's URL; undefined when it could not be written.
   */
  async finish(body?: CommentBody): Promise<string | undefined> {
    this.#finished = true;
    if (body !== undefined) this.#pending = typeof body === 'string' ? () => body : body;
    this.#timer?.();
    this.#timer = undefined;
    while (this.#inFlight) await this.#inFlight;
    const render = this.#pending;
    this.#pending = undefined;
    if (render) await this.#attempt(render, true);
    return this.#url;
  }

  #schedule(): void {
    if (this.#finished || this.#inFlight || this.#timer || !this.#pending) return;
    const wait = this.#wait();
    if (wait > 0) {
      // `finish` sends what is left; a pending update never keeps the process alive on its own.
      this.#timer = this.#clock.after(wait, () => {
        this.#timer = undefined;
        this.#schedule();
      });
      return;
    }
    this.#credit -= 1;
    const render = this.#pending;
    this.#pending = undefined;
    this.#inFlight = this.#attempt(render, false).then(() => {
      this.#inFlight = undefined;
      this.#schedule();
    });
  }

  /** Milliseconds until the next request may start: the minimum interval, and a credit for it. */
  #wait(): number {
    const now = this.#clock.now();
    this.#credit = Math.min(this.#burst, this.#credit + (now - this.#creditAt) / this.#steadyInterval);
    this.#creditAt = now;
    const untilCredit = this.#credit >= 1 ? 0 : Math.ceil((1 - this.#credit) * this.#steadyInterval);
    return Math.max(this.#lastStart + this.#minInterval - now, untilCredit);
  }

  /** One write; true when it went through. Failures are reported: the first and the last loudly, the rest quietly. */
  async #attempt(render: () => string, last: boolean): Promise<boolean> {
    this.#lastStart = this.#clock.now();
    try {
      await this.#write(render());
      return true;
    } catch (error) {
      this.#failures += 1;
      const message = `Could not update the comment on #${this.#options.issueNumber}: ${describe(error)}`;
      if (this.#failures === 1 || last) this.#warn(message);
      else core.debug(message);
      return false;
    }
  }

  async #write(content: string): Promise<void> {
    const { octokit, repo, issueNumber } = this.#options;
    const body = withinLimit(`${this.marker}\n${content}`);
    if (body === this.#lastBody) return;
    if (!this.#searched) {
      const login = await this.#login();
      const found = await findStickyComment(octokit, repo, issueNumber, this.marker, login);
      this.#searched = true;
      if (found) {
        this.#id = found.id;
        this.#url = found.url;
      }
    }
    if (this.#id !== undefined) {
      this.requests += 1;
      try {
        const { data } = await octokit.rest.issues.updateComment({ ...repo, comment_id: this.#id, body });
        this.#url = data.html_url;
        this.#lastBody = body;
        return;
      } catch (error) {
        // Deleted since it was found: a new one takes its place.
        if ((error as { status?: unknown }).status !== 404) throw error;
        this.#id = undefined;
      }
    }
    this.requests += 1;
    const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
    this.#id = data.id;
    this.#url = data.html_url;
    this.#lastBody = body;
  }

  #login(): Promise<string> {
    const { login, octokit } = this.#options;
    this.#identity ??= login
      ? Promise.resolve(login)
      : tokenIdentity(octokit).then((identity) => {
          core.debug(`Comments by ${identity.login} are this action's (${identity.how})`);
          return identity.login;
        });
    return this.#identity;
  }
}

/**
 * One comment written once (a refusal, an input error): found by its marker and edited, or created. Resolves to its
 * URL; undefined when it could not be written (reported through `warn`).
 */
export function postStickyComment(options: StickyCommentOptions, body: string): Promise<string | undefined> {
  return new StickyComment(options).finish(body);
}

/** GitHub counts a body's characters (code points); a body past the limit is cut with a marker. */
function withinLimit(body: string): string {
  const chars = [...body];
  if (chars.length <= COMMENT_MAX_CHARS) return body;
  const marker = '\n\n_… shortened to fit the comment limit._\n';
  return chars.slice(0, COMMENT_MAX_CHARS - marker.length).join('') + marker;
}

function describe(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message : String(error);
  return typeof status === 'number' ? `HTTP ${status}: ${message}` : message;
}
