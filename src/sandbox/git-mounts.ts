import { copyFile, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../git/runner.js';
import type { Worktree } from '../git/workspace.js';

/** What git needs in the sandbox: bwrap's mounts for it, given after the worktree's, and the repository's path. */
export interface GitMounts {
  args: string[];
  repo: string;
}

/**
 * What git needs to work in the worktree, and no more. The repository's git directory is read-only, all of it:
 * objects, refs, hooks, the worktree's own index and HEAD, and its config, covered by a copy without credentials. The sandbox's git
 * works in a private git directory of the agent's instead (under `dir`, which outlives a restart of the shell): its
 * own objects with the repository's as an alternate, its own refs and HEAD on a copy of the branch, and its own index,
 * started as a copy of the worktree's. The worktree's `.git` file is covered, in the sandbox only, by one that points
 * there. So the agent's `add`, `stash` and `commit` work, and nothing its git writes ever reaches the repository: the
 * action commits from the working tree with its own git and its own index, which the agent never touched.
 */
export async function gitMounts(
  worktree: Pick<Worktree, 'path' | 'branch' | 'gitDir'>,
  dir: string,
): Promise<GitMounts> {
  const gitDir = await realpath(worktree.gitDir);
  const pointer = await readFile(path.join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  const common = pointer === undefined ? gitDir : await realpath(path.resolve(gitDir, pointer.trim()));
  const own = path.join(dir, 'git');
  // Git's own way to a repository over another's objects: an alternate, the branch and HEAD on it, no checkout.
  await git(dir, [
    'clone',
    '--quiet',
    '--shared',
    '--bare',
    '--single-branch',
    '--no-tags',
    '--template=',
    '--branch',
    worktree.branch,
    '--',
    common,
    own,
  ]);
  // The worktree's stat data is the action's checkout's: the agent's git sees the files as clean, as they are.
  await copyFile(path.join(gitDir, 'index'), path.join(own, 'index')).catch(() => undefined);
  const config = path.join(dir, 'git-config');
  await writeWithoutCredentials(path.join(common, 'config'), config);
  const dotGit = path.join(dir, 'dot-git');
  await writeFile(dotGit, `gitdir: ${own}\n`);

  const args = ['--ro-bind', common, common, '--ro-bind', config, path.join(common, 'config')];
  args.push('--bind', own, own, '--ro-bind', config, path.join(own, 'config'));
  args.push('--ro-bind', dotGit, path.join(await realpath(worktree.path), '.git'));
  return { args, repo: path.dirname(common) };
}

// Config keys that hold or fetch a credential, and URLs with a password in them.
const CREDENTIAL_KEY = /^(credential\..*|http\.(.*\.)?extraheader)$/i;
const URL_PASSWORD = /\/\/[^/@\s]*:[^/@\s]*@/;

/** A copy of a git config without the credentials that actions/checkout and others persist there. */
async function writeWithoutCredentials(source: string, target: string): Promise<void> {
  await copyFile(source, target);
  const config = (...args: string[]) => git(path.dirname(target), ['config', '--file', target, ...args]);
  const entries = (await config('--list', '--null'))
    .split('\0')
    .filter(Boolean)
    .map((entry): [string, string] => {
      const newline = entry.indexOf('\n');
      return newline < 0 ? [entry, ''] : [entry.slice(0, newline), entry.slice(newline + 1)];
    });
  const dropped = new Set(
    entries.filter(([key]) => CREDENTIAL_KEY.test(key) || URL_PASSWORD.test(key)).map(([k]) => k),
  );
  for (const key of dropped) await config('--unset-all', key);
  // A remote keeps its URL, without the password.
  const withPassword = new Set(
    entries.filter(([k, v]) => !dropped.has(k) && URL_PASSWORD.test(v)).map(([k]) => k),
  );
  for (const key of withPassword) {
    await config('--unset-all', key);
    for (const [, value] of entries.filter(([k]) => k === key)) {
      await config('--add', key, value.replace(/\/\/[^/@\s]*@/, '//'));
    }
  }
}
