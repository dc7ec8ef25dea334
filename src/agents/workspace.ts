import { execFile } from 'node:child_process';
import { rm, stat, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import type { Task } from '../tasks/task.js';

const execFileAsync = promisify(execFile);

/** Every agent branch lives under this prefix, e.g. `parallel-agents/bac-124-fix-model-routing`. */
export const BRANCH_PREFIX = 'parallel-agents/';

/** Longest title slug in a branch name; long enough to recognise the task, short enough to read in a list. */
const MAX_TITLE_SLUG = 40;

/** Identity of the commits holding an agent's changes. */
export const COMMIT_AUTHOR = {
  name: 'parallel-agents[bot]',
  email: 'parallel-agents@users.noreply.github.com',
} as const;

/** One agent's working tree: its own directory, checked out on its own branch. */
export interface Worktree {
  /** Absolute path of the working tree. */
  path: string;
  branch: string;
  /** Commit the branch started from; changes are measured against it. */
  base: string;
  /** The worktree's own git directory, as git made it: what `<path>/.git` pointed to before the agent ran. */
  gitDir: string;
}

/** A change the commit left out, and why. */
export interface SkippedFile {
  /** Relative to the worktree; a nested repository is its directory. */
  path: string;
  reason: string;
}

/** What an agent's work added to its branch, measured from the worktree's base. */
export interface CommitSummary {
  /** Tip of the branch; absent when the agent changed nothing. */
  commit?: string;
  filesChanged: string[];
  insertions: number;
  deletions: number;
  /** Changes that are not in the commit, each with why; absent when everything went in. */
  skipped?: SkippedFile[];
}

/** Whether a branch reached `origin`, and if not, why not, in words for the report. */
export type PushOutcome = { pushed: true } | { pushed: false; reason: string };

/** Why a nested repository is left out: git would record only its commit id (a gitlink), which nobody can fetch. */
export const NESTED_REPOSITORY =
  'a git repository of its own (it has a .git): left out, as git would record only a pointer to a commit ' +
  'no one can fetch; remove its .git to commit its files';

/** A git command that exited non-zero (or could not start). */
export class GitError extends Error {
  override name = 'GitError';

  constructor(
    /** Arguments passed to git, without the leading `git`. */
    readonly args: readonly string[],
    readonly cwd: string,
    readonly stderr: string,
    readonly exitCode: number | string | undefined,
    reason: string,
  ) {
    super(`git ${commandName(args)} failed: ${reason}`);
  }
}

/**
 * Branch for a task: the lower-cased id, then a slug of the title. Only ASCII letters, digits and single inner
 * hyphens survive, so the name is a valid ref whatever the title holds (`..`, `.lock`, slashes, emoji).
 */
export function branchName(task: Pick<Task, 'id' | 'title'>): string {
  const parts = [slug(task.id), truncateAtWord(slug(task.title), MAX_TITLE_SLUG)].filter(
    (part) => part !== '',
  );
  return BRANCH_PREFIX + (parts.join('-') || 'task');
}

/**
 * Git worktrees for one repository: one directory and branch per agent, all under `root`, which should be
 * outside the checkout (e.g. `$RUNNER_TEMP/parallel-agents/worktrees`) so the main working tree never sees them.
 */
export class Workspace {
  readonly repo: string;
  readonly root: string;
  /** Worktree administration shares locks in the repository's git dir, so it runs one command at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Settled once `repo` has been found to be a git repository (or not). */
  private checked?: Promise<void>;

  constructor(options: { repo: string; root: string }) {
    this.repo = resolve(options.repo);
    this.root = resolve(options.root);
  }

  /**
   * Adds a worktree at `<root>/<id>` on a new branch from the repository's HEAD. A branch left by an earlier
   * run is reset to HEAD (`-B`); git refuses if that branch is checked out in another worktree.
   */
  async create(task: Pick<Task, 'id' | 'title'>): Promise<Worktree> {
    const branch = branchName(task);
    const path = join(this.root, slug(task.id) || 'task');
    const worktree = await this.serialized(async () => {
      await this.checkRepository();
      const base = await revParse(this.repo, 'HEAD').catch((error: unknown) => {
        if (error instanceof GitError && /needed a single revision|unknown revision/i.test(error.stderr)) {
          throw new InputError(
            'no commit is checked out',
            `workspace ${this.repo}`,
            'Check out a branch with at least one commit before this step (actions/checkout does).',
          );
        }
        throw error;
      });
      await git(this.repo, ['worktree', 'add', '--quiet', '--no-checkout', '-B', branch, path, base]);
      const gitDir = (await git(this.repo, ['-C', path, 'rev-parse', '--absolute-git-dir'])).trim();
      return { path, branch, base, gitDir };
    });
    // Only the bookkeeping above needs the lock; filling the working tree, the slow part in a large
    // repository, runs alongside the other agents'.
    await git(this.repo, ['-C', path, 'reset', '--hard', '--quiet']);
    return worktree;
  }

  /**
   * Commits everything in the worktree (tracked, untracked, deleted) to its branch and measures the branch
   * against its base, so commits the agent made itself are counted too. Nothing changed → no commit. What cannot
   * be committed (a file `git add` refuses, a nested repository) is left out and listed in `skipped`; the rest
   * is committed all the same.
   */
  async commit(worktree: Worktree, message: string): Promise<CommitSummary> {
    const inTree = await pinned(worktree);
    const skipped = await stageAll(worktree.path, inTree);
    const staged = await git(worktree.path, [...inTree, 'diff', '--cached', '--name-only', '-z']);
    if (staged !== '') {
      await git(worktree.path, [
        ...inTree,
        '-c',
        `user.name=${COMMIT_AUTHOR.name}`,
        '-c',
        `user.email=${COMMIT_AUTHOR.email}`,
        '-c',
        'commit.gpgsign=false',
        // A background gc started here could outlive the run.
        '-c',
        'gc.auto=0',
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        message,
      ]);
    }
    const head = (await git(worktree.path, [...inTree, 'rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    const summary: CommitSummary =
      head === worktree.base
        ? { filesChanged: [], insertions: 0, deletions: 0 }
        : { commit: head, ...(await diffStats(this.repo, worktree.base, head)) };
    return skipped.length > 0 ? { ...summary, skipped } : summary;
  }

  /**
   * Pushes the worktree's branch to `origin`, replacing an earlier run's branch of the same name. When the
   * repository has no `origin`, nothing is pushed and the outcome says so. The token goes in a one-off header for
   * that remote only, never into the config. A push that git refuses rejects with a {@link GitError}.
   */
  async push(worktree: Worktree, token?: string): Promise<PushOutcome> {
    let url: string;
    try {
      url = (await git(this.repo, ['remote', 'get-url', 'origin'])).trim();
    } catch (error) {
      if (error instanceof GitError && /no such remote/i.test(error.stderr)) {
        return {
          pushed: false,
          reason: `not pushed: the repository has no remote named origin, so ${worktree.branch} exists only on this runner`,
        };
      }
      throw error;
    }
    const auth: string[] = [];
    if (token && /^https?:\/\//.test(url)) {
      const key = `http.${new URL(url).origin}/.extraheader`;
      const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
      // The empty value first drops a header actions/checkout may have persisted for the same host.
      auth.push('-c', `${key}=`, '-c', `${key}=AUTHORIZATION: basic ${basic}`);
    }
    // From the repository itself, by branch name: nothing in the agent's worktree takes part in the push.
    const ref = `refs/heads/${worktree.branch}`;
    await git(this.repo, [...auth, 'push', '--quiet', '--force', 'origin', `${ref}:${ref}`]);
    return { pushed: true };
  }

  /**
   * The repository's config keys that hold a credential: an `extraheader` (what actions/checkout persists), a
   * credential helper, or a remote URL with a password. Names only, never values. Every worktree shares this
   * config, so a shell in any of them can read these.
   */
  async persistedCredentials(): Promise<string[]> {
    const pattern = '^(http\\..*extraheader|credential\\..*|remote\\..*\\.url)$';
    // Exit code 1 means nothing matched.
    const out = await git(this.repo, ['config', '--local', '--get-regexp', pattern]).catch(() => '');
    return out
      .split('\n')
      .map((line) => /^(\S+)\s?(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .filter(([, key, value]) => !key!.endsWith('.url') || /^[a-z+]+:\/\/[^/@]*:[^/@]+@/i.test(value!))
      .map(([, key]) => key!);
  }

  /** Deletes the worktree's directory, even with uncommitted changes; its branch and commits stay. */
  remove(worktree: Worktree): Promise<void> {
    return this.serialized(async () => {
      await git(this.repo, ['worktree', 'remove', '--force', worktree.path]);
    });
  }

  /**
   * Forgets worktrees whose directories are gone (e.g. a previous run's temp dir). The first thing a run does with
   * the workspace, so a workspace that is no repository at all is reported here, as an {@link InputError}.
   */
  prune(): Promise<void> {
    return this.serialized(async () => {
      await this.checkRepository();
      await git(this.repo, ['worktree', 'prune']);
    });
  }

  /** Rejects with an {@link InputError} when `repo` is missing or not in a git repository; checked once. */
  private checkRepository(): Promise<void> {
    this.checked ??= (async () => {
      const where = `workspace ${this.repo}`;
      const fix = 'Add actions/checkout before this step, so the agents have a repository to branch from.';
      const isDirectory = await stat(this.repo).then(
        (stats) => stats.isDirectory(),
        () => false,
      );
      if (!isDirectory) throw new InputError('no such directory', where, fix);
      try {
        await git(this.repo, ['rev-parse', '--git-dir']);
      } catch (error) {
        if (error instanceof GitError && /not a git repository/i.test(error.stderr)) {
          throw new InputError('not a git repository', where, fix);
        }
        throw error;
      }
    })();
    return this.checked;
  }

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * Git options that tie a command to the worktree as git made it. The agent could rewrite `<path>/.git` (it is a file
 * in its working tree) to point at a git directory of its own, whose config runs commands (`core.fsmonitor`); the
 * file is put back and the git directory named outright.
 */
async function pinned(worktree: Worktree): Promise<string[]> {
  const dotGit = join(worktree.path, '.git');
  await rm(dotGit, { recursive: true, force: true });
  await writeFile(dotGit, `gitdir: ${worktree.gitDir}\n`);
  return [`--git-dir=${worktree.gitDir}`, `--work-tree=${worktree.path}`];
}

/**
 * Stages every change in the worktree that git can commit, and returns the ones it cannot. Nested repositories are
 * left out up front (`git add` refuses one without a commit and records one with a commit as a gitlink). One file
 * that `git add` refuses (a failing `working-tree-encoding`, say) fails the whole command, so then the changes are
 * added in halves until each refused file is alone.
 */
async function stageAll(cwd: string, inTree: string[]): Promise<SkippedFile[]> {
  const untracked = nulSeparated(
    await git(cwd, [...inTree, 'ls-files', '-z', '--others', '--exclude-standard']),
  );
  // A directory git will not go into, because it has a .git of its own, is listed with a trailing slash.
  const nested = untracked.filter((path) => path.endsWith('/')).map((path) => path.slice(0, -1));
  const skipped: SkippedFile[] = nested.map((path) => ({ path, reason: NESTED_REPOSITORY }));
  const excluded = nested.map((path) => `:(exclude,literal)${path}`);
  try {
    await git(cwd, [...inTree, 'add', '--all', '--', '.', ...excluded]);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const tracked = nulSeparated(await git(cwd, [...inTree, 'ls-files', '-z', '--modified', '--deleted']));
    const changed = [...new Set([...tracked, ...untracked.filter((path) => !path.endsWith('/'))])];
    skipped.push(...(await addInHalves(cwd, inTree, changed)));
  }
  skipped.push(...(await unstageGitlinks(cwd, inTree)));
  return skipped;
}

/** Adds `paths`; when git refuses, adds each half on its own, down to the single paths it refuses. */
async function addInHalves(cwd: string, inTree: string[], paths: string[]): Promise<SkippedFile[]> {
  if (paths.length === 0) return [];
  try {
    // Paths on stdin, taken literally: no length limit on the command line, no glob in a file name.
    await git(
      cwd,
      ['--literal-pathspecs', ...inTree, 'add', '--all', '--pathspec-from-file=-', '--pathspec-file-nul'],
      paths.join('\0'),
    );
    return [];
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    if (paths.length === 1) return [{ path: paths[0]!, reason: `git add refused it: ${gitMessage(error)}` }];
    const half = Math.ceil(paths.length / 2);
    return [
      ...(await addInHalves(cwd, inTree, paths.slice(0, half))),
      ...(await addInHalves(cwd, inTree, paths.slice(half))),
    ];
  }
}

/**
 * Takes out of the index any gitlink the commit would add or change (a nested repository at a path git already
 * tracked, such as a submodule's), restoring what the branch had there.
 */
async function unstageGitlinks(cwd: string, inTree: string[]): Promise<SkippedFile[]> {
  const raw = nulSeparated(await git(cwd, [...inTree, 'diff', '--cached', '--raw', '-z', '--no-renames']));
  const gitlinks: string[] = [];
  // Records come in pairs: `:<old mode> <new mode> <old id> <new id> <status>`, then the path.
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.split(' ')[1] === '160000') gitlinks.push(raw[i + 1]!);
  }
  if (gitlinks.length === 0) return [];
  await git(cwd, ['--literal-pathspecs', ...inTree, 'reset', '--quiet', 'HEAD', '--', ...gitlinks]);
  return gitlinks.map((path) => ({ path, reason: NESTED_REPOSITORY }));
}

function nulSeparated(text: string): string[] {
  return text.split('\0').filter((part) => part !== '');
}

/** The first `fatal:` or `error:` line of a git failure, without its prefix. */
function gitMessage(error: GitError): string {
  const line = error.stderr.split('\n').find((l) => /^(fatal|error): /.test(l));
  return line ? line.replace(/^(fatal|error): /, '') : error.message;
}

async function diffStats(cwd: string, base: string, head: string): Promise<Omit<CommitSummary, 'commit'>> {
  // -z keeps unusual file names verbatim; without renames a moved file is one deletion and one addition.
  const out = await git(cwd, ['diff', '--numstat', '-z', '--no-renames', '--no-textconv', base, head]);
  const summary = { filesChanged: [] as string[], insertions: 0, deletions: 0 };
  for (const record of out.split('\0')) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (!match) continue;
    const [, added = '-', deleted = '-', file = ''] = match;
    summary.filesChanged.push(file);
    // Binary files show `-`: changed, but no lines to count.
    summary.insertions += added === '-' ? 0 : Number(added);
    summary.deletions += deleted === '-' ? 0 : Number(deleted);
  }
  return summary;
}

async function revParse(cwd: string, rev: string): Promise<string> {
  return (await git(cwd, ['rev-parse', '--verify', `${rev}^{commit}`])).trim();
}

/** Runs git in `cwd`; `input`, when given, is its standard input. */
async function git(cwd: string, args: string[], input?: string): Promise<string> {
  // Hooks are the repository's code, not ours: none run (e.g. post-checkout on `worktree add`).
  // Nothing git would run on its own: no fsmonitor daemon either.
  const argv = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args];
  try {
    const running = execFileAsync('git', argv, {
      cwd,
      env: gitEnvironment(),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    // A git that failed to start (or exited early) closes its end; that surfaces as the command's failure.
    running.child.stdin?.on('error', () => undefined);
    running.child.stdin?.end(input ?? '');
    const { stdout } = await running;
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const stderr = failure.stderr ?? '';
    // A spawn failure (git not installed) has no stderr, only a code such as ENOENT.
    const reason =
      firstLine(stderr) || (typeof failure.code === 'number' ? `exit code ${failure.code}` : failure.message);
    throw new GitError(args, cwd, stderr, failure.code, reason);
  }
}

/** Only what git needs: the parent's tokens (GITHUB_TOKEN, ANTHROPIC_*, INPUT_*) and GIT_* overrides stay out. */
function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { GIT_TERMINAL_PROMPT: '0' };
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** `worktree add`, `commit`: the subcommand, without options or operands that may be long (a commit message). */
function commandName(args: readonly string[]): string {
  const words: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith('-') || args[i - 1] === '-c' || args[i - 1] === '-C') {
      if (words.length > 0) break;
      continue;
    }
    words.push(arg);
  }
  return words.join(' ');
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      // Decompose accents so `café` keeps its `e`; everything else outside a-z0-9 becomes a hyphen.
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
  );
}

function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  // Look one character past the limit: a hyphen there means a word ends exactly at it.
  const boundary = text.slice(0, max + 1).lastIndexOf('-');
  // A single very long word is cut mid-word rather than dropping most of the title.
  return boundary >= max / 2 ? text.slice(0, boundary) : text.slice(0, max);
}
