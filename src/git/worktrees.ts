import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { isThere } from '../is-there.js';
import { BACKGROUND_NICENESS, git, GitError, lowerPriority } from './runner.js';

/** A worktree that could not be made, and why, in words for the report. */
export class WorktreeError extends Error {
  override name = 'WorktreeError';
}

/** Where a worktree is, on which branch, and its own git directory as git made it. */
export interface WorktreePlace {
  path: string;
  branch: string;
  gitDir: string;
}

/** What `git worktree list` shows for a worktree this action made: it is locked with this, so no prune takes it. */
const LOCK_REASON = 'in use by parallel-agents';

/** Where removed worktrees wait, under the root, to be deleted. */
const REMOVED = '.removed';

/** Removals so far in this process, for names that never meet. */
let removals = 0;

/**
 * `git worktree add` of `branch` at `path`, pointed at `start` (made, or reset as `-B` does), locked, with its files
 * checked out only when `checkout` says so (else see {@link checkOut}); git copies a sparse checkout's settings from
 * the main worktree. Returns the worktree's git directory. Refuses, in words, a directory that is not empty and a
 * branch checked out elsewhere.
 */
export async function addWorktree(
  repo: string,
  {
    path,
    branch,
    start,
    checkout = false,
  }: { path: string; branch: string; start: string; checkout?: boolean },
): Promise<string> {
  // Before git: a failed `worktree add` has already reset the branch.
  await refuseTaken(path);
  try {
    await git(repo, [
      'worktree',
      'add',
      '--quiet',
      ...(checkout ? [] : ['--no-checkout']),
      '--lock',
      `--reason=${LOCK_REASON}`,
      '-B',
      branch,
      path,
      start,
    ]);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const elsewhere = /already (?:checked out|used by worktree) at '(.+)'/.exec(error.stderr)?.[1];
    if (elsewhere !== undefined) {
      throw new WorktreeError(
        `branch ${branch} is already checked out at ${elsewhere}: finish or remove that worktree, then run again`,
      );
    }
    if (/already exists/.test(error.stderr)) await refuseTaken(path);
    throw error;
  }
  return gitDirOf(repo, path);
}

/** Throws a {@link WorktreeError} when something is at `path` already, other than an empty directory. */
async function refuseTaken(path: string): Promise<void> {
  const taken = (what: string) =>
    new WorktreeError(
      `${path} already exists and ${what}: it is left as it is; move it away, then run again`,
    );
  const info = await stat(path).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw taken('is not a directory');
  if ((await readdir(path)).length > 0) throw taken('is not empty');
}

/** Fills the worktree from its HEAD as `git worktree add` itself does (`reset --hard`), in the background. */
export async function checkOut(worktree: WorktreePlace): Promise<void> {
  await git(worktree.path, [...pinned(worktree), 'reset', '--hard', '--quiet'], { background: true });
}

/**
 * Takes the worktree away at once, even with uncommitted changes; its branch and commits stay. The directory is moved
 * aside and deleted by a process the action does not wait for (see {@link deleteLater}); git forgets the worktree
 * (`worktree remove`, which lets a directory that is gone be), and its branch is free for other checkouts once this
 * resolves. A path git does not know as a worktree is only moved aside.
 */
export async function removeWorktree(repo: string, root: string, path: string): Promise<void> {
  const aside = join(root, REMOVED, `${basename(path)}-${process.pid}-${(removals += 1)}`);
  await mkdir(join(root, REMOVED), { recursive: true });
  const moved = await rename(path, aside).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  if (moved) deleteLater(aside);
  try {
    // Twice: a locked worktree needs it.
    await git(repo, ['worktree', 'remove', '--force', '--force', path]);
  } catch (error) {
    if (!(error instanceof GitError) || !/is not a working tree/.test(error.stderr)) throw error;
  }
}

/**
 * Clears what an earlier run under `root` left: its worktrees, removed (a killed run leaves its directories, which
 * would be in the way of this run's), or unlocked where their directories are gone, so that `git worktree prune` frees
 * their branches; and the directories it left to delete. `worktreesDir` is where git keeps its worktrees' bookkeeping
 * (`git rev-parse --git-path worktrees`).
 */
export async function pruneWorktrees(repo: string, root: string, worktreesDir: string): Promise<void> {
  const under = `${await realpath(root).catch(() => resolve(root))}${sep}`;
  // Git removes that directory with its last worktree but the main one: then there is none to ask about, as on most
  // runners, which no run has used. Only when git has something to forget is it asked to prune.
  const listed = (await isThere(worktreesDir)) ? await listWorktrees(repo) : [];
  let prunable = false;
  for (const { path, locked, prunable: stale } of listed) {
    prunable ||= stale;
    if (!path.startsWith(under)) continue;
    const there = await stat(path).then(
      () => true,
      () => false,
    );
    if (there) await removeWorktree(repo, root, path);
    else {
      // Git lists a locked one as in use, not as prunable: unlocked, it is.
      if (locked) await git(repo, ['worktree', 'unlock', path]);
      prunable = true;
    }
  }
  if (prunable) await git(repo, ['worktree', 'prune']);
  // Moved out of the way first, so that a removal of this run never puts a worktree where `rm` is at work.
  const left = join(root, `${REMOVED}-${process.pid}-${(removals += 1)}`);
  if (
    await rename(join(root, REMOVED), left).then(
      () => true,
      () => false,
    )
  )
    deleteLater(left);
}

/** Every worktree of `repo` (the main one first), as git lists them; `prunable` where git says it would prune it. */
async function listWorktrees(repo: string): Promise<{ path: string; locked: boolean; prunable: boolean }[]> {
  const out = await git(repo, ['worktree', 'list', '--porcelain', '-z']);
  // One record a worktree, each of NUL-ended lines, the records parted by an empty line.
  return out
    .split('\0\0')
    .map((record) => record.split('\0'))
    .filter((lines) => lines[0]?.startsWith('worktree '))
    .map((lines) => ({
      path: lines[0]!.slice('worktree '.length),
      locked: lines.some((line) => line === 'locked' || line.startsWith('locked ')),
      prunable: lines.some((line) => line === 'prunable' || line.startsWith('prunable ')),
    }));
}

/** The worktree's git directory, from the `.git` file git wrote in it; from git itself when that cannot be read. */
export async function gitDirOf(repo: string, path: string): Promise<string> {
  const pointer = await readFile(join(path, '.git'), 'utf8').catch(() => '');
  const match = /^gitdir: (.+)$/m.exec(pointer);
  if (match) return resolve(path, match[1]!.trim());
  return (await git(repo, ['-C', path, 'rev-parse', '--absolute-git-dir'])).trim();
}

/**
 * Git options that tie a command to the worktree as git made it. The agent could rewrite `<path>/.git` (it is a file
 * in its working tree) to point at a git directory of its own, whose config runs commands (`core.fsmonitor`), so the
 * git directory is named outright (and the file is put back, see {@link putBackGitFile}).
 */
export function pinned(worktree: Pick<WorktreePlace, 'path' | 'gitDir'>): string[] {
  return [`--git-dir=${worktree.gitDir}`, `--work-tree=${worktree.path}`];
}

/** Puts back the `.git` file git wrote in the working tree, whatever the agent made of it (see {@link pinned}). */
export async function putBackGitFile(worktree: Pick<WorktreePlace, 'path' | 'gitDir'>): Promise<void> {
  const dotGit = join(worktree.path, '.git');
  await rm(dotGit, { recursive: true, force: true });
  await writeFile(dotGit, `gitdir: ${worktree.gitDir}\n`);
}

/** How long the deleting process waits for more paths before it is let go. */
const TRASH_IDLE_MS = 1000;

/**
 * Deletes `path` in a process of its own, detached, that the action does not wait for (on a runner, `RUNNER_TEMP`
 * is emptied after the job anyway), so deleting a large tree holds up neither the agents nor the end of the run. One
 * `xargs` takes the paths on its standard input and starts an `rm` for each: every process the action starts costs
 * its thread a fork of the whole action, one started by `xargs` only a fork of `xargs`.
 */
function deleteLater(path: string): void {
  trash ??= openTrash();
  trash.stdin.write(`${path}\0`);
  trash.idle.refresh();
}

let trash: { stdin: Writable; idle: NodeJS.Timeout } | undefined;

function openTrash(): NonNullable<typeof trash> {
  // Only PATH: it may outlive the action, and nothing of the action's environment (its inputs, the job's tokens) is its.
  const child = spawn('xargs', ['-0', '-n', '1', 'rm', '-rf', '--'], {
    cwd: '/',
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH },
  });
  // Nothing to do if it cannot start or stops early: the directories stay for the runner's own cleanup.
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  // Their time is the kernel's: on a small runner they would starve the action's thread.
  lowerPriority(child.pid, BACKGROUND_NICENESS);
  // Neither the process nor its input keeps the action running; at the action's exit `xargs` reads the end of its
  // input and finishes the paths it was given.
  child.unref();
  (child.stdin as Writable & { unref?: () => void }).unref?.();
  const idle = setTimeout(() => {
    trash = undefined;
    child.stdin.end();
  }, TRASH_IDLE_MS).unref();
  return { stdin: child.stdin, idle };
}
