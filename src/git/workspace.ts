import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { basename, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import { InputError } from '../errors.js';
import { runCommand, type CommandFailure } from './command-helper.js';
import { globDirectories } from '../tasks/globs.js';
import type { Task } from '../tasks/task.js';
import type { SkippedFile } from '../result.js';

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
  /**
   * The worktree's own git directory, as git made it: what `<path>/.git` pointed to before the agent ran. Known once
   * `added` has resolved (at once for a worktree from {@link Workspace.create}); empty before.
   */
  gitDir: string;
  /**
   * Resolves once the worktree is registered with git; rejects when it could not be (its branch is checked out
   * elsewhere, its directory is taken). The branch itself is set with the first checkout (see `ready`). A worktree from
   * {@link Workspace.open} is registered in the background; one without `added` is registered.
   */
  added?: Promise<void>;
  /**
   * Resolves once the files a tool touches are checked out: each of `paths` names a file, or a directory when it ends
   * in `/` (relative to `path`, or absolute inside it); without `paths`, the whole tree. Rejects when the checkout
   * failed. A worktree from {@link Workspace.open} is filled in the background; one without `ready` is filled.
   */
  ready?: (paths?: readonly string[]) => Promise<void>;
}

/** How far a worktree's files are checked out. */
interface Fill {
  /** The directories checked out first, when the task named its `paths`; null when the whole tree was. */
  cone: string[] | null;
  /** The first checkout: the cone, or the whole tree. */
  first: Promise<void>;
  /** The rest of the tree, once a tool asked for something outside the cone. */
  rest?: Promise<void>;
  /**
   * Set once the rest is in. Until then a staging must wait for the commit: the rest comes in by a one-way merge from
   * HEAD, which would put back, on disk too, whatever is staged.
   */
  whole?: boolean;
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

/** A worktree that could not be made, and why, in words for the report. */
export class WorktreeError extends Error {
  override name = 'WorktreeError';
}

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
    /** What it printed before it failed (`merge-tree` prints the conflicted tree). */
    readonly stdout = '',
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
  /** Registrations and prunes change the same directory of the repository's git dir, so they take turns. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The commit every branch starts from, found once: the same for every agent of a run. */
  private head?: Promise<{ commit: string; commonDir: string }>;
  /** Each open worktree's checkout, by path. */
  private readonly fills = new Map<string, Fill>();
  /**
   * Checkouts at once. Writing files is the slow part in a large repository, and many at once share the disk and the
   * cores (their time is mostly the kernel's): fewer at a time give the first agents their files sooner.
   */
  private readonly filling = pLimit(os.availableParallelism());
  /**
   * Branches under {@link BRANCH_PREFIX} checked out anywhere when this workspace registered its first worktree, each
   * with where; asked once, as the branches this workspace checks out itself are known to it.
   */
  private busy?: Promise<Map<string, string>>;
  /** Whether the repository keeps its refs in a reftable (git 2.45 and later, on request) rather than in files. */
  private refTable?: Promise<boolean>;
  /** The worktrees this workspace registered and has not removed, by branch. */
  private readonly registered = new Map<string, { path: string; gitDir: string }>();
  /** Removed directories waiting to be deleted. */
  private trash: string[] = [];
  /** Each worktree's latest {@link stageAhead}, by path. */
  private readonly ahead = new Map<string, Ahead>();
  /** The URL of `origin`, or null when there is none; asked at the first registration. */
  private origin?: Promise<string | null>;

  constructor(options: { repo: string; root: string }) {
    this.repo = resolve(options.repo);
    this.root = resolve(options.root);
  }

  /**
   * Adds a worktree at `<root>/<id>` on a new branch from the repository's HEAD, with every file checked out. A
   * branch left by an earlier run is reset to HEAD; one checked out in another worktree is refused.
   */
  async create(task: Pick<Task, 'id' | 'title'>): Promise<Worktree> {
    const worktree = await this.add(task, null);
    await worktree.ready!();
    return worktree;
  }

  /**
   * {@link create}, resolved before git has even registered the worktree: the agent's first request waits for no git
   * at all. `worktree.added` says when the worktree and its branch exist, `worktree.ready` when what a tool touches
   * is checked out. With `paths`, the directories they lie in are checked out first (a sparse checkout); the rest of
   * the tree follows only when something asks for it. {@link commit} waits for what has been started.
   */
  open(task: Pick<Task, 'id' | 'title'> & { paths?: readonly string[] }): Promise<Worktree> {
    const cone = task.paths?.length ? globDirectories(task.paths) : null;
    return this.add(task, cone && cone.every(isPlainDirectory) ? cone : null);
  }

  private async add(task: Pick<Task, 'id' | 'title'>, cone: string[] | null): Promise<Worktree> {
    const branch = branchName(task);
    const path = join(this.root, slug(task.id) || 'task');
    const { commit: base } = await this.base();
    const worktree: Worktree = {
      path,
      branch,
      base,
      gitDir: '',
      ready: (paths) => this.ready(worktree, paths),
    };
    // Registered by writing git's own files for it (gitrepository-layout(5)): no git process at all, so the
    // registrations, one at a time as git's bookkeeping needs, cost each agent a few file writes.
    worktree.added = this.serialized(() => this.register(worktree));
    // Filling the working tree, the slow part in a large repository, runs alongside the other agents'. The same
    // `reset` points the branch at the base, creating it or starting an earlier run's afresh (as `worktree add -B`).
    const first = worktree.added.then(() =>
      this.filling(async () => {
        const sparse: string[] = [];
        if (cone) {
          // Written here and named on the command line, never with `git sparse-checkout`, which would turn on
          // per-worktree config in the repository's own config file.
          await mkdir(join(worktree.gitDir, 'info'), { recursive: true });
          await writeFile(join(worktree.gitDir, 'info', 'sparse-checkout'), conePatterns(cone));
          sparse.push('-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=true');
        }
        await git(
          path,
          [...pinned(worktree), ...sparse, 'reset', '--hard', '--quiet', base],
          undefined,
          true,
        );
      }),
    );
    // Handled by whoever waits for them: the agent, a tool, the commit.
    worktree.added.catch(() => undefined);
    first.catch(() => undefined);
    this.fills.set(path, { cone, first });
    return worktree;
  }

  /** Waits for `paths` of the worktree (all of it without) to be checked out, starting on the rest if need be. */
  private async ready(worktree: Worktree, paths?: readonly string[]): Promise<void> {
    const fill = this.fills.get(worktree.path);
    if (!fill) return;
    const cone = fill.cone;
    if (!cone || (paths?.length && paths.every((p) => inCone(cone, toRelative(worktree.path, p))))) {
      return fill.first;
    }
    fill.rest ??= (async () => {
      await fill.first;
      await writeFile(join(worktree.gitDir, 'info', 'sparse-checkout'), '/*\n');
      // A one-way merge from HEAD: files come in where they were left out; what the agent changed stays as it is.
      const all = ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=false'];
      await this.filling(() =>
        git(this.repo, ['-C', worktree.path, ...all, 'read-tree', '-mu', 'HEAD'], undefined, true),
      );
      fill.whole = true;
    })();
    return fill.rest;
  }

  /** Every checkout started in the worktree, finished; rejects with the first that failed. */
  private async settled(worktree: Worktree): Promise<void> {
    const fill = this.fills.get(worktree.path);
    await fill?.first;
    await fill?.rest;
  }

  /**
   * Commits everything in the worktree (tracked, untracked, deleted) to its branch and measures the branch
   * against its base, so commits the agent made itself are counted too. Nothing changed → no commit. What cannot
   * be committed (a file `git add` refuses, a nested repository) is left out and listed in `skipped`; the rest
   * is committed all the same.
   */
  async commit(worktree: Worktree, message: string, { stagedAhead = false } = {}): Promise<CommitSummary> {
    const early = this.ahead.get(worktree.path)?.staging;
    this.ahead.delete(worktree.path);
    // A checkout still writing would hold the index, and files not yet there would look deleted.
    await this.settled(worktree);
    // So would a staging ahead still under way; what it staged stands only if the caller says nothing changed since.
    const ahead = await early;
    const inTree = pinned(worktree);
    // Git is told its directory outright and never reads the file, so the file goes back while git stages; nothing
    // is committed before it is back. Why staging failed, if it did, is the error that matters.
    const [staged, putBack] = await Promise.allSettled([
      stagedAhead && ahead ? ahead : stageAll(worktree.path, inTree, worktree.base),
      putBackGitFile(worktree),
    ]);
    if (staged.status === 'rejected') throw staged.reason;
    if (putBack.status === 'rejected') throw putBack.reason;
    const staging = staged.value;
    const headOf = async () =>
      (await git(worktree.path, [...inTree, 'rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    // An index that matches the base leaves nothing to commit, unless the branch has moved on from the base (the
    // agent's own commits); otherwise git itself says when the index holds nothing new for the branch.
    let head = staging.stats.filesChanged.length === 0 ? await headOf() : undefined;
    if (head !== worktree.base) {
      const made = await commitIndex(worktree.path, inTree, message);
      head = made.committed ? (made.id ?? (await headOf())) : (head ?? (await headOf()));
    }
    const summary: CommitSummary =
      head === worktree.base
        ? { filesChanged: [], insertions: 0, deletions: 0 }
        : { commit: head, ...staging.stats };
    return staging.skipped.length > 0 ? { ...summary, skipped: staging.skipped } : summary;
  }

  /**
   * Stages everything in the worktree now, while its agent waits on the model, so that {@link commit} has only to
   * commit it: the commit takes this staging when told that nothing in the worktree changed since the call. A call
   * made while another has yet to begin is that one (it will stage the same); otherwise it waits for the one before.
   * Nothing is staged in a sparse checkout whose rest is still to come (see `Fill.whole`), and a staging that failed
   * or had to leave files out is not taken: the commit then stages itself. Resolves once done; never rejects.
   */
  stageAhead(worktree: Worktree): Promise<void> {
    const { path } = worktree;
    const before = this.ahead.get(path);
    if (before && !before.begun) return before.done;
    const next: Ahead = { staging: Promise.resolve(undefined), done: Promise.resolve(), begun: false };
    next.staging = (async () => {
      await before?.staging;
      await this.settled(worktree);
      next.begun = true;
      const fill = this.fills.get(path);
      if (fill?.cone && !fill.whole) return undefined;
      const staged = await stageAll(path, pinned(worktree), worktree.base);
      return staged.skipped.length === 0 ? staged : undefined;
    })().catch(() => undefined);
    next.done = next.staging.then(() => undefined);
    this.ahead.set(path, next);
    return next.done;
  }

  /**
   * Pushes the worktree's branch to `origin`, replacing an earlier run's branch of the same name. When the
   * repository has no `origin`, nothing is pushed and the outcome says so. The token goes in a one-off header for
   * that remote only, never into the config. A push that git refuses rejects with a {@link GitError}.
   */
  async push(worktree: Worktree, token?: string): Promise<PushOutcome> {
    const url = await this.originUrl();
    if (url === null) {
      return {
        pushed: false,
        reason: `not pushed: the repository has no remote named origin, so ${worktree.branch} exists only on this runner`,
      };
    }
    // From the repository itself, by branch name: nothing in the agent's worktree takes part in the push.
    await git(this.repo, pushArgs(url, worktree.branch, token));
    return { pushed: true };
  }

  /** The URL of `origin`, or null when there is none: the same for every agent, so asked once. */
  private originUrl(): Promise<string | null> {
    this.origin ??= git(this.repo, ['remote', 'get-url', 'origin']).then(
      (out) => out.trim(),
      (error: unknown) => {
        if (error instanceof GitError && /no such remote/i.test(error.stderr)) return null;
        // Asked again next time: a failure to ask is no answer.
        this.origin = undefined;
        throw error;
      },
    );
    return this.origin;
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

  /**
   * Takes the worktree's directory away at once, even with uncommitted changes; its branch and commits stay. The
   * directory is moved aside and deleted in the background by a process of its own that the action does not wait for
   * (on a runner, `RUNNER_TEMP` is emptied after the job anyway), so deleting a large tree holds up neither the other
   * agents nor the end of the run. Git forgets a worktree this workspace registered, and its branch is free for other
   * checkouts, once this resolves; one registered elsewhere, at the next {@link prune}.
   */
  async remove(worktree: Worktree): Promise<void> {
    this.ahead.delete(worktree.path);
    const registered = await (worktree.added ?? Promise.resolve()).then(...succeeded);
    await this.settled(worktree).catch(() => undefined);
    this.fills.delete(worktree.path);
    // Git never made it: whatever is at its path is not the agent's to take away.
    if (!registered) return;
    const aside = join(this.root, REMOVED, `${basename(worktree.path)}-${process.pid}-${(removals += 1)}`);
    await mkdir(join(this.root, REMOVED), { recursive: true });
    const moved = await rename(worktree.path, aside).then(...succeededUnless('ENOENT'));
    if (moved) this.deleteLater(aside);
    // Git forgets it, and its branch is free for another checkout, the moment its registration is gone.
    const made = this.registered.get(worktree.branch);
    if (made?.gitDir !== worktree.gitDir) return;
    await this.serialized(async () => {
      await rm(made.gitDir, { recursive: true, force: true });
      this.registered.delete(worktree.branch);
    });
  }

  /**
   * Registers the worktree with git as `git worktree add --no-checkout --lock` would, from the files git keeps for
   * one (gitrepository-layout(5)): its own git directory under the common one's `worktrees/`, naming the branch in
   * its `HEAD` (made by the first checkout), and a `.git` file in the working tree pointing there. Refuses, as git
   * does, a branch checked out in another worktree and a directory that is not empty. In a repository whose refs are
   * in a reftable, where a worktree's HEAD is no file, git makes it (`worktree add`). Called in the queue's turn.
   */
  private async register(worktree: Worktree): Promise<void> {
    const { path, branch } = worktree;
    const { commonDir } = await this.base();
    if (!isAbsolute(commonDir)) throw new WorktreeError(`git named no git directory for ${this.repo}`);
    this.busy ??= this.checkedOut();
    // Asked now, while the agents work, rather than by the first to finish, which every other finishing then waits for.
    this.originUrl().catch(() => undefined);
    const elsewhere = this.registered.get(branch)?.path ?? (await this.busy).get(branch);
    if (elsewhere !== undefined) {
      throw new WorktreeError(
        `branch ${branch} is already checked out at ${elsewhere}: finish or remove that worktree, then run again`,
      );
    }
    // A worktree's HEAD lives in its own reftable there, not in a file: git makes the worktree itself.
    this.refTable ??= stat(join(commonDir, 'reftable')).then(
      (s) => s.isDirectory(),
      () => false,
    );
    worktree.gitDir = (await this.refTable)
      ? await this.addWithGit(worktree)
      : await writeRegistration(worktree, join(commonDir, 'worktrees'));
    this.registered.set(branch, { path, gitDir: worktree.gitDir });
  }

  /** `git worktree add`, as git makes a worktree: its git directory. */
  private async addWithGit({ path, branch, base }: Worktree): Promise<string> {
    await git(this.repo, ['worktree', 'add', '--quiet', '--no-checkout', '--lock', '-B', branch, path, base]);
    return gitDirOf(this.repo, path);
  }

  /** Branches under {@link BRANCH_PREFIX} checked out in some worktree (the main one too), each with where. */
  private async checkedOut(): Promise<Map<string, string>> {
    const out = await git(this.repo, [
      'for-each-ref',
      '--format=%(refname:lstrip=2)%00%(worktreepath)',
      `refs/heads/${BRANCH_PREFIX}`,
    ]);
    const busy = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [branch = '', where = ''] = line.split('\0');
      if (where) busy.set(branch, where);
    }
    return busy;
  }

  /**
   * Resolves once the workspace is known to be a repository with a commit checked out; rejects with an
   * {@link InputError} when it is not. What a run asks before its first request.
   */
  async check(): Promise<void> {
    await this.base();
  }

  /**
   * Forgets worktrees whose directories are gone (e.g. a previous run's temp dir), and deletes what an earlier run
   * left to delete. Every registration asked for after it waits for it. Rejects as {@link check} does.
   */
  prune(): Promise<void> {
    return this.serialized(async () => {
      const { commonDir } = await this.base();
      await this.unlockLeftovers(commonDir);
      await git(this.repo, ['worktree', 'prune']);
      // What the prune freed is free.
      this.busy = undefined;
      // Moved out of the way first, so that a removal of this run never puts a worktree where `rm` is at work.
      const left = join(this.root, `${REMOVED}-${process.pid}-${(removals += 1)}`);
      if (await rename(join(this.root, REMOVED), left).then(...succeeded)) this.deleteLater(left);
    });
  }

  /**
   * The commit checked out in `repo`, found once. Rejects with an {@link InputError} when `repo` is missing, is not
   * in a git repository, or has no commit.
   */
  private base(): Promise<{ commit: string; commonDir: string }> {
    this.head ??= (async () => {
      const where = `workspace ${this.repo}`;
      const fix = 'Add actions/checkout before this step, so the agents have a repository to branch from.';
      const isDirectory = await stat(this.repo).then(
        (stats) => stats.isDirectory(),
        () => false,
      );
      if (!isDirectory) throw new InputError('no such directory', where, fix);
      try {
        const out = await git(this.repo, [
          'rev-parse',
          '--path-format=absolute',
          '--git-common-dir',
          '--verify',
          'HEAD^{commit}',
        ]);
        const [commonDir = '', commit = ''] = out.trim().split('\n');
        return { commit, commonDir };
      } catch (error) {
        if (error instanceof GitError && /not a git repository/i.test(error.stderr)) {
          throw new InputError('not a git repository', where, fix);
        }
        if (error instanceof GitError && /needed a single revision|unknown revision/i.test(error.stderr)) {
          throw new InputError(
            'no commit is checked out',
            where,
            'Check out a branch with at least one commit before this step (actions/checkout does).',
          );
        }
        throw error;
      }
    })();
    return this.head;
  }

  /**
   * Unlocks the worktrees an earlier run under the same root left locked when it could not remove them (it was
   * killed), once their directories are gone, so that the prune can free their branches.
   */
  private async unlockLeftovers(commonDir: string): Promise<void> {
    if (!isAbsolute(commonDir)) return;
    const admin = join(commonDir, 'worktrees');
    const names = await readdir(admin).catch(() => [] as string[]);
    for (const name of names) {
      const pointer = (await readFile(join(admin, name, 'gitdir'), 'utf8').catch(() => '')).trim();
      if (!pointer.startsWith(this.root + sep) || (await stat(pointer).then(...succeeded))) continue;
      await rm(join(admin, name, 'locked'), { force: true });
    }
  }

  /**
   * Deletes `path` in a process of its own, detached, that the action does not wait for. Paths given in one turn of
   * the event loop share one `rm`.
   */
  private deleteLater(path: string): void {
    this.trash.push(path);
    if (this.trash.length > 1) return;
    setImmediate(() => {
      const paths = this.trash;
      this.trash = [];
      // Nothing to do if it cannot start: the directories stay for the runner's own cleanup.
      void runCommand('rm', ['-rf', '--', ...paths], {
        cwd: this.root,
        env: gitEnvironment(),
        detached: true,
        niceness: BACKGROUND_NICENESS,
      }).catch(() => undefined);
    });
  }

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * Git options that tie a command to the worktree as git made it. The agent could rewrite `<path>/.git` (it is a file
 * in its working tree) to point at a git directory of its own, whose config runs commands (`core.fsmonitor`), so the
 * git directory is named outright (and the file is put back, see {@link putBackGitFile}).
 */
function pinned(worktree: Worktree): string[] {
  return [`--git-dir=${worktree.gitDir}`, `--work-tree=${worktree.path}`];
}

/** Puts back the `.git` file git wrote in the worktree, whatever the agent made of it (see {@link pinned}). */
async function putBackGitFile(worktree: Worktree): Promise<void> {
  const dotGit = join(worktree.path, '.git');
  await rm(dotGit, { recursive: true, force: true });
  await writeFile(dotGit, `gitdir: ${worktree.gitDir}\n`);
}

/** What {@link stageAll} staged, measured against the base, and what it had to leave out. */
interface Staging {
  skipped: SkippedFile[];
  stats: Omit<CommitSummary, 'commit'>;
}

/** A staging ahead of the commit (see `Workspace.stageAhead`). */
interface Ahead {
  /** What it staged; undefined when it failed, had to leave files out or did not stage. */
  staging: Promise<Staging | undefined>;
  /** `staging`, as news that it is over. */
  done: Promise<void>;
  /** Whether it has begun: until then, it will stage whatever a later call would. */
  begun: boolean;
}

/**
 * Stages every change in the worktree that git can commit; returns the ones it cannot, and what the index then holds
 * against `base` (which is what the branch will hold once committed). One `add` usually does it; a nested repository
 * that has a commit comes in as a gitlink, which is taken out again (see {@link unstageGitlinks}). When git refuses,
 * the changes are staged with care (see {@link stageCarefully}).
 */
async function stageAll(cwd: string, inTree: string[], base: string): Promise<Staging> {
  const skipped: SkippedFile[] = [];
  try {
    await git(cwd, [...inTree, 'add', '--all', '--', '.']);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    skipped.push(...(await stageCarefully(cwd, inTree)));
  }
  let staged = await stagedChanges(cwd, inTree, base);
  if (staged.gitlinks.length > 0) {
    await unstageGitlinks(cwd, inTree, base, staged.gitlinks);
    skipped.push(...staged.gitlinks.map((path) => ({ path, reason: NESTED_REPOSITORY })));
    // The index changed under the first reading; seldom needed, so asked again rather than worked out.
    staged = await stagedChanges(cwd, inTree, base);
  }
  return { skipped, stats: staged.stats };
}

/**
 * Stages what git can commit when a plain `add` was refused, and returns the rest. Nested repositories are left out
 * up front (`git add` refuses one without a commit). One file that `git add` refuses (a failing
 * `working-tree-encoding`, say) fails the whole command, so then the changes are added in halves until each refused
 * file is alone.
 */
async function stageCarefully(cwd: string, inTree: string[]): Promise<SkippedFile[]> {
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
 * Takes `gitlinks` the commit would add or change (nested repositories, a submodule's new commit) out of the index,
 * restoring what the base had there, even where the agent committed one itself. A submodule the agent removed stays
 * removed.
 */
async function unstageGitlinks(
  cwd: string,
  inTree: string[],
  base: string,
  gitlinks: string[],
): Promise<void> {
  await git(cwd, ['--literal-pathspecs', ...inTree, 'reset', '--quiet', base, '--', ...gitlinks]);
}

/**
 * Commits the index with the action's identity: the new commit's id (when git's summary line names it), or that git
 * found nothing to commit (it then exits 1 with nothing on stderr, in any language).
 */
async function commitIndex(
  cwd: string,
  inTree: string[],
  message: string,
): Promise<{ committed: true; id?: string } | { committed: false }> {
  try {
    const out = await git(cwd, [
      ...inTree,
      '-c',
      `user.name=${COMMIT_AUTHOR.name}`,
      '-c',
      `user.email=${COMMIT_AUTHOR.email}`,
      '-c',
      'commit.gpgsign=false',
      // A background gc started here could outlive the run; and git would start a process after every commit only
      // to find that out.
      '-c',
      'gc.auto=0',
      '-c',
      'maintenance.auto=false',
      // The new commit's whole id in the summary line (`[branch <id>] subject`), so no second git asks for it.
      '-c',
      'core.abbrev=no',
      'commit',
      '--no-verify',
      '-m',
      message,
    ]);
    const id = /^\[.* ([0-9a-f]{40,64})\]/m.exec(out)?.[1];
    return id ? { committed: true, id } : { committed: true };
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1 && error.stderr.trim() === '')
      return { committed: false };
    throw error;
  }
}

/** The two ends of a promise whose only news is whether it succeeded. */
const succeeded = [() => true, () => false] as const;

/** As {@link succeeded}, for a call that may fail only with `code`: any other failure is thrown on. */
function succeededUnless(code: string) {
  return [
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === code) return false;
      throw error;
    },
  ] as const;
}

/** Where removed worktrees wait, under the root, to be deleted. */
const REMOVED = '.removed';

/** Removals so far in this process, for names that never meet. */
let removals = 0;

/**
 * Writes the files git keeps for a worktree at `worktree.path` on `worktree.branch`: its git directory under `admin`
 * (returned), named as git names one, and the `.git` file pointing there. The directory must be empty or absent.
 */
async function writeRegistration({ path, branch }: Worktree, admin: string): Promise<string> {
  const taken = (what: string) =>
    new WorktreeError(
      `${path} already exists and ${what}: it is left as it is; move it away, then run again`,
    );
  await mkdir(path, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST' || error.code === 'ENOTDIR' ? taken('is not a directory') : error;
  });
  if ((await readdir(path)).length > 0) throw taken('is not empty');
  await mkdir(admin, { recursive: true });
  // A name of its own, as git picks one: the directory's, numbered when an earlier worktree holds it.
  let gitDir = join(admin, basename(path));
  for (let n = 1; !(await mkdir(gitDir).then(...succeededUnless('EEXIST'))); n++) {
    if (n > 1000) throw new WorktreeError(`no free name for a worktree under ${admin}`);
    gitDir = join(admin, `${basename(path)}${n}`);
  }
  try {
    // Locked before anything else, as git does: a prune meanwhile (another process's) leaves it alone.
    await writeFile(join(gitDir, 'locked'), 'in use by parallel-agents\n');
    await Promise.all([
      writeFile(join(gitDir, 'commondir'), '../..\n'),
      // Where the worktree really is, as git writes it, whatever links the path goes through.
      realpath(path).then((real) => writeFile(join(gitDir, 'gitdir'), `${join(real, '.git')}\n`)),
      writeFile(join(gitDir, 'HEAD'), `ref: refs/heads/${branch}\n`),
      writeFile(join(path, '.git'), `gitdir: ${gitDir}\n`),
    ]);
  } catch (error) {
    await rm(gitDir, { recursive: true, force: true });
    throw error;
  }
  return gitDir;
}

/** The worktree's git directory, from the `.git` file git wrote in it; from git itself when that cannot be read. */
export async function gitDirOf(repo: string, path: string): Promise<string> {
  const pointer = await readFile(join(path, '.git'), 'utf8').catch(() => '');
  const match = /^gitdir: (.+)$/m.exec(pointer);
  if (match) return resolve(path, match[1]!.trim());
  return (await git(repo, ['-C', path, 'rev-parse', '--absolute-git-dir'])).trim();
}

/** A directory git's cone patterns can name as it is: no wildcard, escape or comment characters, no empty segment. */
function isPlainDirectory(dir: string): boolean {
  return /^[\w.@+=,~-]+(\/[\w.@+=,~-]+)*$/.test(dir) && !dir.split('/').some((s) => s === '.' || s === '..');
}

/**
 * The sparse-checkout patterns of cone mode for `dirs`: every file at the top, the files directly in each parent
 * directory, and everything under each directory.
 */
function conePatterns(dirs: readonly string[]): string {
  const lines = ['/*', '!/*/'];
  const parents = new Set<string>();
  for (const dir of dirs) {
    const names = dir.split('/');
    for (let i = 1; i < names.length; i++) parents.add(names.slice(0, i).join('/'));
  }
  for (const parent of [...parents].sort()) lines.push(`/${parent}/`, `!/${parent}/*/`);
  for (const dir of dirs) lines.push(`/${dir}/`);
  return `${lines.join('\n')}\n`;
}

/**
 * `path` relative to the worktree, `/`-separated, with a trailing `/` kept (it marks a directory); `..` when it lies
 * outside.
 */
function toRelative(worktree: string, path: string): string {
  const directory = path.endsWith('/');
  const inside = isAbsolute(path) ? relative(worktree, path).split(sep).join('/') : path;
  const normal = posix.normalize(inside || '.');
  if (normal === '..' || normal.startsWith('../')) return '..';
  return directory && !normal.endsWith('/') ? `${normal}/` : normal;
}

/**
 * Whether a cone checkout of `dirs` holds all of `path`: a file at the top, directly in a parent directory, or under
 * one of `dirs`; a directory (ending in `/`) only under one of them.
 */
function inCone(dirs: readonly string[], path: string): boolean {
  if (path === '..' || path === '.' || path === './') return false;
  const directory = path.endsWith('/');
  const name = directory ? path.slice(0, -1) : path;
  if (dirs.some((dir) => name === dir || name.startsWith(`${dir}/`))) return true;
  if (directory) return false;
  const parent = posix.dirname(name);
  return parent === '.' || dirs.some((dir) => dir.startsWith(`${parent}/`));
}

function nulSeparated(text: string): string[] {
  return text.split('\0').filter((part) => part !== '');
}

/**
 * `git push` of `branch` to `origin` at `url`, replacing what is there. The token goes in a one-off header for that
 * remote only: never into a URL or the config.
 */
export function pushArgs(url: string, branch: string, token?: string): string[] {
  const auth: string[] = [];
  if (token && /^https?:\/\//.test(url)) {
    const key = `http.${new URL(url).origin}/.extraheader`;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    // The empty value first drops a header actions/checkout may have persisted for the same host.
    auth.push('-c', `${key}=`, '-c', `${key}=AUTHORIZATION: basic ${basic}`);
  }
  const ref = `refs/heads/${branch}`;
  return [...auth, 'push', '--quiet', '--force', 'origin', `${ref}:${ref}`];
}

/** The first `fatal:` or `error:` line of a git failure, without its prefix. */
function gitMessage(error: GitError): string {
  const line = error.stderr.split('\n').find((l) => /^(fatal|error): /.test(l));
  return line ? line.replace(/^(fatal|error): /, '') : error.message;
}

/** What the index holds against `base`: the files and lines changed, and the gitlinks among them. */
async function stagedChanges(
  cwd: string,
  inTree: string[],
  base: string,
): Promise<{ stats: Omit<CommitSummary, 'commit'>; gitlinks: string[] }> {
  // One git for both: `--raw` names each entry's mode (a gitlink is 160000), `--numstat` counts its lines. -z keeps
  // unusual file names verbatim; without renames a moved file is one deletion and one addition.
  const out = await git(cwd, [
    ...inTree,
    'diff',
    '--cached',
    '--raw',
    '--numstat',
    // Whatever the repository's (or the agent's) `.gitmodules` says: a submodule's new commit must show, to be left out.
    '--ignore-submodules=none',
    '-z',
    '--no-renames',
    '--no-textconv',
    base,
  ]);
  const records = out.split('\0');
  const gitlinks: string[] = [];
  const stats = { filesChanged: [] as string[], insertions: 0, deletions: 0 };
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    // `:<old mode> <new mode> <old id> <new id> <status>`, then the path as a record of its own.
    if (record.startsWith(':')) {
      const path = records[++i] ?? '';
      if (record.split(' ')[1] === '160000') gitlinks.push(path);
      continue;
    }
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (!match) continue;
    const [, added = '-', deleted = '-', file = ''] = match;
    stats.filesChanged.push(file);
    // Binary files show `-`: changed, but no lines to count.
    stats.insertions += added === '-' ? 0 : Number(added);
    stats.deletions += deleted === '-' ? 0 : Number(deleted);
  }
  return { stats, gitlinks };
}

/**
 * Niceness of the checkouts and deletions that run in the background: their time is mostly the kernel's, and on a
 * small runner a few of them at full priority starve the action's own thread (measured: event-loop stalls of 100-300
 * ms at 20,000 files on two cores), which every agent's turns go through.
 */
const BACKGROUND_NICENESS = 10;

/**
 * Runs git in `cwd` through the command helper, with none of the repository's hooks or daemons and none of the
 * action's tokens; `input`, when given, is its standard input; `background` lowers its priority. Rejects with a
 * {@link GitError}.
 */
export async function git(cwd: string, args: string[], input?: string, background = false): Promise<string> {
  // Hooks are the repository's code, not ours: none run (e.g. post-checkout on `worktree add`).
  // Nothing git would run on its own: no fsmonitor daemon either.
  const argv = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args];
  try {
    return await runCommand('git', argv, {
      cwd,
      env: gitEnvironment(),
      input,
      ...(background ? { niceness: BACKGROUND_NICENESS } : {}),
    });
  } catch (error) {
    const failure = error as CommandFailure;
    const stderr = failure.stderr ?? '';
    // A spawn failure (git not installed) has no stderr, only a code such as ENOENT.
    const reason =
      firstLine(stderr) || (typeof failure.code === 'number' ? `exit code ${failure.code}` : failure.message);
    throw new GitError(args, cwd, stderr, failure.code, reason, failure.stdout ?? '');
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
