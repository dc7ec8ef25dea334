import { git, GitError } from './runner.js';

/** Whether a branch reached `origin`, and if not, why not, in words for the report. */
export type PushOutcome = { pushed: true } | { pushed: false; reason: string };

/**
 * What a branch on `origin` pointed at when this run read it: its tip, or null when it did not exist. Undefined when
 * the run could not read it.
 */
export type Lease = string | null | undefined;

/**
 * Config that gives git the token as a one-off header for `url`'s host only, through the environment (see
 * `GitOptions.config`): never into a URL, the repository's config or a command line. None for a URL that is not
 * HTTP(S), or without a token.
 */
function authConfig(url: string, token: string | undefined): [string, string][] {
  if (!token || !/^https?:\/\//i.test(url)) return [];
  const key = `http.${new URL(url).origin}/.extraheader`;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  // The empty value first drops a header actions/checkout may have persisted for the same host.
  return [
    [key, ''],
    [key, `AUTHORIZATION: basic ${basic}`],
  ];
}

/** The URL of `origin` in `repo`, or null when there is none. */
export async function originUrl(repo: string): Promise<string | null> {
  try {
    return (await git(repo, ['remote', 'get-url', 'origin'])).trim();
  } catch (error) {
    if (error instanceof GitError && /no such remote/i.test(error.stderr)) return null;
    throw error;
  }
}

/**
 * What each run in this process read of `origin` at its start, by repository: the latest run's. A step that pushes
 * later without the run's workspace at hand (the combined branch) leases on the same reading.
 */
const readAtStart = new Map<string, Promise<Map<string, string> | undefined>>();

/** Records `tips` as what this run read of `origin`'s branches in `repo` (see {@link leaseFor}). */
export function rememberOriginBranches(repo: string, tips: Promise<Map<string, string> | undefined>): void {
  readAtStart.set(repo, tips);
}

/**
 * What the push of `branch` may replace on `origin`: its tip as this run read it at its start, or, when no run in this
 * process read it, as it is now.
 */
export async function leaseFor(repo: string, url: string, branch: string, token?: string): Promise<Lease> {
  const atStart = readAtStart.get(repo);
  const tips = atStart ? await atStart : await readOriginBranches(repo, url, branch, token, true);
  return tips === undefined ? undefined : (tips.get(branch) ?? null);
}

/**
 * The branches under `prefix` on `origin` (at `url`), each with its tip: one request for all of them. With `exact`,
 * the one branch `prefix` names.
 */
export async function readOriginBranches(
  repo: string,
  url: string,
  prefix: string,
  token?: string,
  exact = false,
): Promise<Map<string, string>> {
  const pattern = `refs/heads/${prefix}${exact ? '' : '*'}`;
  const out = await git(repo, ['ls-remote', '--refs', 'origin', pattern], {
    config: authConfig(url, token),
  });
  const tips = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [tip, ref] = line.split('\t');
    if (tip && ref?.startsWith('refs/heads/')) tips.set(ref.slice('refs/heads/'.length), tip);
  }
  return tips;
}

/**
 * Fetches `branches` from `origin` (at `url`) into `refs/remotes/origin/`, in one request: the work of an earlier run
 * that this one builds on or checks against.
 */
export async function fetchBranches(
  repo: string,
  url: string,
  branches: readonly string[],
  token?: string,
): Promise<void> {
  const refspecs = branches.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`);
  await git(repo, ['fetch', '--no-tags', '--no-write-fetch-head', 'origin', ...refspecs], {
    config: authConfig(url, token),
  });
}

export interface PushOptions {
  /** `origin`'s URL: which host the token is for. */
  url: string;
  token?: string;
  /** What this run read of the branch on `origin` (see {@link Lease}); the push replaces only that. */
  lease: Lease;
}

/**
 * Pushes `branch` from `repo` to `origin`. It replaces the branch there only as this run read it (git's
 * `--force-with-lease`): a branch that moved on since, or that appeared when this run saw none, is left as it is and
 * the outcome says so. Without a lease (the run could not read `origin`) the push only adds to what is there. A push
 * git fails for any other reason rejects with a {@link GitError}.
 */
export async function pushBranch(repo: string, branch: string, options: PushOptions): Promise<PushOutcome> {
  const ref = `refs/heads/${branch}`;
  const lease = options.lease === undefined ? [] : [`--force-with-lease=${ref}:${options.lease ?? ''}`];
  try {
    await git(repo, ['push', '--porcelain', ...lease, 'origin', `${ref}:${ref}`], {
      config: authConfig(options.url, options.token),
    });
    return { pushed: true };
  } catch (error) {
    const rejected =
      error instanceof GitError ? /^!\t.*\[rejected\] \((.+)\)$/m.exec(error.stdout)?.[1] : undefined;
    if (rejected === undefined) throw error;
    return { pushed: false, reason: notReplaced(branch, rejected, options.lease) };
  }
}

/** Why the branch on `origin` was left as it is, for the report. */
function notReplaced(branch: string, rejected: string, lease: Lease): string {
  const kept = 'it is left as it is, and this work is on the runner only';
  if (rejected === 'stale info') {
    const since =
      lease === null
        ? 'appeared on origin after this run found none'
        : 'moved on origin since this run read it';
    return `not pushed: ${branch} ${since} (another run or a person pushed to it); ${kept}`;
  }
  return `not pushed: ${branch} on origin holds commits this run did not make (${rejected}); ${kept}`;
}
