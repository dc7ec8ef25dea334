import { stat } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { InputError } from '../errors.js';
import type { Task } from '../tasks/task.js';
import { BRANCH_PREFIX, branchName, slug } from './branch-name.js';
import { commitStaged, stageAll, type CommitSummary, type Staging } from './commit.js';
import {
  originUrl,
  pushBranch,
  fetchBranches,
  readOriginBranches,
  rememberOriginBranches,
  type PushOutcome,
} from './push.js';
import { git, GitError } from './runner.js';
import {
  addWorktree,
  checkOut,
  pinned,
  pruneWorktrees,
  putBackGitFile,
  removeWorktree,
  WorktreeError,
} from './worktrees.js';

export { branchName } from './branch-name.js';
export { COMMIT_AUTHOR, NESTED_REPOSITORY, type CommitSummary } from './commit.js';
export type { PushOutcome } from './push.js';
export { WorktreeError } from './worktrees.js';

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
   * Resolves once git has made the worktree and its branch; rejects when it could not (its branch is checked out
   * elsewhere, its directory is taken). A worktree from {@link Workspace.open} is made in the background; one without
   * `added` is made.
   */
  added?: Promise<void>;
  /**
   * Resolves once the worktree's files are checked out; rejects when the checkout failed. A worktree from
   * {@link Workspace.open} is filled in the background; one without `ready` is filled.
   */
  ready?: () => Promise<void>;
}

/** Where a worktree's branch starts. */
export interface WorktreeOptions {
  /** A commit to branch from instead of the checkout's HEAD (a dependency's work, for one). */
  startPoint?: string;
}

/** An index of at most this size (a few hundred files) is checked out with the worktree, in the same git process. */
const SMALL_INDEX_BYTES = 64 * 1024;

/** What a run finds of the checkout once, at its start. */
interface Found {
  /** The commit checked out: every branch's base unless told otherwise. */
  commit: string;
  /**
   * Whether a worktree's files are checked out by `git worktree add` itself: where the checkout's index is small, so
   * is the tree, and one git process does both. A larger tree is checked out after, in the background (see
   * {@link checkOut}), so that no agent's worktree waits in line behind another's files.
   */
  smallTree: boolean;
  /** Git's directory for its worktrees' bookkeeping: there only while it has worktrees besides the main one. */
  worktreesDir: string;
}

/**
 * Where a change to git's worktree bookkeeping stands in line: `ahead` while only a worktree opened ahead waits on it.
 */
interface Place {
  ahead: boolean;
}

/** A staging ahead of the commit (see {@link Workspace.stageAhead}). */
interface Ahead {
  /** What it staged; undefined when it failed, had to leave files out or did not stage. */
  staging: Promise<Staging | undefined>;
  /** `staging`, as news that it is over. */
  done: Promise<void>;
  /** Whether it has begun: until then, it will stage whatever a later call would. */
  begun: boolean;
}

/**
 * Git worktrees for one repository: one directory and branch per agent, all under `root`, which should be
 * outside the checkout (e.g. `$RUNNER_TEMP/parallel-agents/worktrees`) so the main working tree never sees them.
 * Every change to the repository's bookkeeping is git's own (`git worktree add`, `remove`, `prune`).
 */
export class Workspace {
  readonly repo: string;
  readonly root: string;
  /** For reading and pushing the branches on `origin`. */
  private readonly token?: string;
  /** What the checkout is, found once: the same for every agent of a run. */
  private checkedOut?: Promise<Found>;
  /**
   * Git's worktree bookkeeping, one change at a time: `git worktree add` reads every other worktree's files, and
   * fails on one another git is still making or removing. A step for a worktree opened ahead waits behind the others.
   */
  private readonly steps: { run: () => Promise<void>; place: Place }[] = [];
  private stepping = false;
  /** Worktrees opened ahead of their agents (see {@link openAhead}), by path, with their place in line. */
  private readonly openedAhead = new Map<string, { worktree: Promise<Worktree>; place: Place }>();
  /** Each open worktree's checkout, by path. */
  private readonly checkouts = new Map<string, Promise<void>>();
  /**
   * Checkouts at once. Writing files is the slow part in a large repository, and many at once share the disk and the
   * cores (their time is mostly the kernel's): fewer at a time give the first agents their files sooner.
   */
  private readonly filling = pLimit(os.availableParallelism());
  /** Each worktree's latest {@link stageAhead}, by path. */
  private readonly ahead = new Map<string, Ahead>();
  /** The URL of `origin`, or null when there is none; asked at the first worktree. */
  private origin?: Promise<string | null>;
  /** The agents' branches on `origin` as this run first read them; undefined when they could not be read. */
  private originTips?: Promise<Map<string, string> | undefined>;

  constructor(options: { repo: string; root: string; token?: string }) {
    this.repo = resolve(options.repo);
    this.root = resolve(options.root);
    if (options.token) this.token = options.token;
  }

  /**
   * Adds a worktree at `<root>/<id>` on a new branch from the repository's HEAD (or `startPoint`), with every file
   * checked out. A branch left by an earlier run is reset; one checked out in another worktree is refused.
   */
  async create(task: Pick<Task, 'id' | 'title'>, options: WorktreeOptions = {}): Promise<Worktree> {
    const worktree = await this.open(task, options);
    await worktree.ready!();
    return worktree;
  }

  /**
   * {@link create}, resolved before git has even made the worktree: the agent's first request waits for no git beyond
   * the base commit (and the start point, if given). `worktree.added` says when the worktree and its branch exist,
   * `worktree.ready` when its files are checked out. {@link commit} waits for what has been started.
   */
  async open(task: Pick<Task, 'id' | 'title'>, options: WorktreeOptions = {}): Promise<Worktree> {
    const path = this.pathOf(task);
    const base = options.startPoint ? await this.commitOf(options.startPoint) : await this.base();
    const early = this.openedAhead.get(path);
    this.openedAhead.delete(path);
    const made = await early?.worktree.catch(() => undefined);
    if (made?.base === base) {
      // Its agent waits for it now: no longer behind the others.
      early!.place.ahead = false;
      return made;
    }
    if (made) await this.remove(made);
    return this.add(task, path, base, (await this.found()).smallTree);
  }

  /**
   * Opens the task's worktree from the base before its agent asks (while it waits for a slot), behind every other
   * change to the bookkeeping; the agent's {@link open} takes it. {@link dropAhead} removes the ones never taken.
   */
  openAhead(task: Pick<Task, 'id' | 'title'>): void {
    const path = this.pathOf(task);
    if (this.openedAhead.has(path)) return;
    const place = { ahead: true };
    // A turn of the loop after the base is known: agents that asked for theirs meanwhile are in line first.
    const worktree = this.found().then(async ({ commit, smallTree }) => {
      await nextTurn();
      return this.add(task, path, commit, smallTree, place);
    });
    worktree.catch(() => undefined);
    this.openedAhead.set(path, { worktree, place });
  }

  /** Removes the worktrees opened ahead that no agent took. */
  async dropAhead(): Promise<void> {
    const left = [...this.openedAhead.values()];
    this.openedAhead.clear();
    await Promise.all(
      left.map(({ worktree }) => worktree.then((made) => this.remove(made)).catch(() => undefined)),
    );
  }

  /** The worktree at `path` on the task's branch from `base`, made in the background (see {@link open}). */
  private add(
    task: Pick<Task, 'id' | 'title'>,
    path: string,
    base: string,
    smallTree: boolean,
    place?: Place,
  ): Worktree {
    const branch = branchName(task);
    const worktree: Worktree = { path, branch, base, gitDir: '' };
    const added = this.serialized(async () => {
      // Asked now, while the agents work, rather than by the first to finish, which every other finishing waits for.
      void this.leases().catch(() => undefined);
      worktree.gitDir = await addWorktree(this.repo, { path, branch, start: base, checkout: smallTree });
    }, place);
    worktree.added = added;
    const checkout = smallTree ? added : added.then(() => this.filling(() => checkOut(worktree)));
    worktree.ready = () => checkout;
    // Handled by whoever waits for them: the agent, a tool, the commit.
    added.catch(() => undefined);
    checkout.catch(() => undefined);
    this.checkouts.set(path, checkout);
    return worktree;
  }

  /**
   * Commits everything in the worktree (tracked, untracked, deleted) to its branch and measures the branch
   * against its base, so commits the agent made itself are counted too. Nothing changed → no commit. What cannot
   * be committed (a file `git add` refuses, a nested repository) is left out and listed in `skipped`; the rest
   * is committed all the same. `onlyFileTools` says that nothing but the file tools, which the SDK confines to the
   * worktree, touched it (no shell, no `setup` or `verify`): its branch is where git put it, which saves asking.
   */
  async commit(
    worktree: Worktree,
    message: string,
    { stagedAhead = false, onlyFileTools = false } = {},
  ): Promise<CommitSummary> {
    const early = this.ahead.get(worktree.path)?.staging;
    this.ahead.delete(worktree.path);
    // A checkout still writing would hold the index, and files not yet there would look deleted.
    await this.checkouts.get(worktree.path);
    // So would a staging ahead still under way; what it staged stands only if the caller says nothing changed since.
    const ahead = await early;
    const { path, base, branch } = worktree;
    const target = { path, inTree: pinned(worktree), base, branch };
    // Git is told its directory outright and never reads the file, so the file goes back while git stages; nothing
    // is committed before it is back. Why staging failed, if it did, is the error that matters.
    const [staged, putBack] = await Promise.allSettled([
      stagedAhead && ahead ? ahead : stageAll(target),
      putBackGitFile(worktree),
    ]);
    if (staged.status === 'rejected') throw staged.reason;
    if (putBack.status === 'rejected') throw putBack.reason;
    return commitStaged(target, message, staged.value, { headAtBase: onlyFileTools });
  }

  /**
   * Stages everything in the worktree now, while its agent waits on the model, so that {@link commit} has only to
   * commit it: the commit takes this staging when told that nothing in the worktree changed since the call. A call
   * made while another has yet to begin is that one (it will stage the same); otherwise it waits for the one before.
   * A staging that failed or had to leave files out is not taken: the commit then stages itself. Resolves once done;
   * never rejects.
   */
  stageAhead(worktree: Worktree): Promise<void> {
    const { path } = worktree;
    const before = this.ahead.get(path);
    if (before && !before.begun) return before.done;
    const next: Ahead = { staging: Promise.resolve(undefined), done: Promise.resolve(), begun: false };
    next.staging = (async () => {
      await before?.staging;
      await this.checkouts.get(path);
      next.begun = true;
      const staged = await stageAll({ path, inTree: pinned(worktree), base: worktree.base });
      return staged.skipped.length === 0 ? staged : undefined;
    })().catch(() => undefined);
    next.done = next.staging.then(() => undefined);
    this.ahead.set(path, next);
    return next.done;
  }

  /**
   * Pushes the worktree's branch to `origin`, replacing there only what this run read at its start (a branch an
   * earlier run left, or none): a branch that moved on since is left as it is, and the outcome says so, as it does
   * when the repository has no `origin`. The token reaches git through its environment, never a command line or the
   * config. A push that git fails for any other reason rejects with a {@link GitError}.
   */
  async push(worktree: Worktree, token = this.token): Promise<PushOutcome> {
    const url = await this.originUrl();
    if (url === null) {
      return {
        pushed: false,
        reason: `not pushed: the repository has no remote named origin, so ${worktree.branch} exists only on this runner`,
      };
    }
    const tips = await this.leases();
    const lease = tips === undefined ? undefined : (tips.get(worktree.branch) ?? null);
    // From the repository itself, by branch name: nothing in the agent's worktree takes part in the push.
    return pushBranch(this.repo, worktree.branch, { url, token, lease });
  }

  /**
   * The tips of `branches` an earlier run pushed, as `origin` held them when this run first read it, fetched; a branch
   * `origin` no longer has (merged and deleted, say) is left out.
   */
  async earlierWork(branches: readonly string[]): Promise<Map<string, string>> {
    const url = branches.length ? await this.originUrl() : null;
    const tips = url === null ? undefined : await this.leases();
    const found = [...new Set(branches)].filter((b) => tips?.has(b));
    if (url === null || !tips || found.length === 0) return new Map();
    await fetchBranches(this.repo, url, found, this.token);
    return new Map(found.map((b) => [b, tips.get(b)!]));
  }

  /**
   * The files `commit` changed since it left this run's base; empty when the history is too shallow to tell (what an
   * agent is told it builds on, not the work itself).
   */
  async filesChangedBy(commit: string): Promise<string[]> {
    const names = await git(this.repo, [
      'diff',
      '--name-only',
      '-z',
      `${await this.base()}...${commit}`,
    ]).catch(() => '');
    return names.split('\0').filter(Boolean);
  }

  /** The URL of `origin`, or null when there is none: the same for every agent, so asked once. */
  private originUrl(): Promise<string | null> {
    this.origin ??= originUrl(this.repo).catch((error: unknown) => {
      // Asked again next time: a failure to ask is no answer.
      this.origin = undefined;
      throw error;
    });
    return this.origin;
  }

  /**
   * The agents' branches on `origin` as this run first read them, in one request: what its pushes may replace.
   * Undefined when they could not be read (the pushes then only add to what is there); an empty map without `origin`.
   */
  private leases(): Promise<Map<string, string> | undefined> {
    if (!this.originTips) {
      this.originTips = this.originUrl().then(
        (url) =>
          url === null
            ? new Map<string, string>()
            : readOriginBranches(this.repo, url, BRANCH_PREFIX, this.token).catch(() => undefined),
        () => undefined,
      );
      // The combined branch, pushed later from the repository alone, leases on the same reading.
      rememberOriginBranches(this.repo, this.originTips);
    }
    return this.originTips;
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
   * Takes the worktree's directory away at once, even with uncommitted changes; its branch and commits stay, and the
   * branch is free for other checkouts once this resolves. The files are deleted in the background (see
   * `removeWorktree`), so deleting a large tree holds up neither the other agents nor the end of the run.
   */
  async remove(worktree: Worktree): Promise<void> {
    this.ahead.delete(worktree.path);
    const made = await (worktree.added ?? Promise.resolve()).then(
      () => true,
      () => false,
    );
    await this.checkouts.get(worktree.path)?.catch(() => undefined);
    this.checkouts.delete(worktree.path);
    // Git never made it: whatever is at its path is not the agent's to take away.
    if (!made) return;
    await this.serialized(() => removeWorktree(this.repo, this.root, worktree.path));
  }

  /**
   * Resolves once the workspace is known to be a repository with a commit checked out; rejects with an
   * {@link InputError} when it is not. What a run asks before its first request.
   */
  async check(): Promise<void> {
    await this.base();
  }

  /**
   * Clears what an earlier run under the same root left (its worktrees, its directories to delete), and has git
   * forget worktrees whose directories are gone. Every worktree asked for after it waits for it. Rejects as
   * {@link check} does.
   */
  prune(): Promise<void> {
    return this.serialized(async () => {
      await pruneWorktrees(this.repo, this.root, (await this.found()).worktreesDir);
    });
  }

  /** Runs `run` once the steps before it are over; `place` says where it stands in line (see {@link Place}). */
  private serialized<T>(run: () => Promise<T>, place: Place = { ahead: false }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.steps.push({ run: () => run().then(resolve, reject), place });
      void this.nextStep();
    });
  }

  private async nextStep(): Promise<void> {
    if (this.stepping) return;
    this.stepping = true;
    for (;;) {
      // The first step an agent waits for, else the first opened ahead.
      const at = this.steps.findIndex((step) => !step.place.ahead);
      const [step] = this.steps.splice(at === -1 ? 0 : at, 1);
      if (!step) break;
      await step.run();
    }
    this.stepping = false;
  }

  /** Where the task's worktree goes. */
  private pathOf(task: Pick<Task, 'id'>): string {
    return join(this.root, slug(task.id) || 'task');
  }

  /** The commit `rev` names, in full; a {@link WorktreeError} when there is none. */
  private async commitOf(rev: string): Promise<string> {
    try {
      return (await git(this.repo, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new WorktreeError(`start point ${rev} is not a commit in ${this.repo}: ${error.message}`);
    }
  }

  /**
   * The commit checked out in `repo`, found once. Rejects with an {@link InputError} when `repo` is missing, is not
   * in a git repository, or has no commit.
   */
  private async base(): Promise<string> {
    return (await this.found()).commit;
  }

  /** {@link base}, with what one git process finds beside it (see {@link Found}). */
  private found(): Promise<Found> {
    this.checkedOut ??= (async () => {
      const where = `workspace ${this.repo}`;
      const fix = 'Add actions/checkout before this step, so the agents have a repository to branch from.';
      const isDirectory = await stat(this.repo).then(
        (stats) => stats.isDirectory(),
        () => false,
      );
      if (!isDirectory) throw new InputError('no such directory', where, fix);
      try {
        const [index = '', worktreesDir = '', commit = ''] = (
          await git(this.repo, [
            'rev-parse',
            '--git-path',
            'index',
            '--git-path',
            'worktrees',
            '--verify',
            'HEAD^{commit}',
          ])
        ).split('\n');
        const smallTree = await stat(resolve(this.repo, index)).then(
          (info) => info.size <= SMALL_INDEX_BYTES,
          () => false,
        );
        return { commit, smallTree, worktreesDir: resolve(this.repo, worktreesDir) };
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
    return this.checkedOut;
  }
}
