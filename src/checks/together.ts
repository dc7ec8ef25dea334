import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { commitMerge, trialMerge } from '../git/merge-check.js';
import { git } from '../git/runner.js';
import { gitDirOf } from '../git/worktrees.js';
import type { AgentResult } from '../result.js';
import type { ShellSandbox } from '../sandbox/sandbox.js';
import { shellEnvironment } from '../sandbox/shell-env.js';
import type { Checks, TogetherCheck } from '../checks.js';
import { commandShell } from './verify.js';

export interface TogetherOptions {
  /** The repository holding every agent's branch. */
  repo: string;
  /** Where the temporary worktree of the merge goes (beside the agents' worktrees). */
  root: string;
  /** Every task's result, in the order the tasks were given (dependencies first). */
  results: readonly AgentResult[];
  checks: Checks;
  shell: ShellSandbox;
  /** Where the merge's shell gets a `HOME` of its own. */
  homeRoot: string;
  signal?: AbortSignal;
}

/**
 * With `verify`, merges the branches of every verified task that changed something (`git merge-tree --write-tree`,
 * one on top of the other; a branch that conflicts with the merge so far is left out and named), checks the merge out
 * in a temporary worktree, and runs `setup` and `verify` there in the shell's sandbox, as for an agent. Undefined
 * when fewer than two branches are there to merge: each was verified on its own already.
 */
export async function verifyTogether(options: TogetherOptions): Promise<TogetherCheck | undefined> {
  const { repo, checks } = options;
  const verified = options.results.filter(
    (r) => r.status === 'succeeded' && r.commit && r.verification?.passed,
  );
  if (!checks.verify || verified.length < 2) return undefined;

  const merged: string[] = [];
  const conflicts: TogetherCheck['conflicts'] = [];
  let tip: string | undefined;
  for (const result of verified) {
    const commit = result.commit!;
    if (!tip) {
      tip = commit;
      merged.push(result.id);
      continue;
    }
    const merge = await trialMerge(repo, tip, commit);
    if (!merge.clean) {
      conflicts.push({ task: result.id, files: merge.files });
      continue;
    }
    tip = await commitMerge(repo, merge.tree, [tip, commit], `Merge ${result.branch}`);
    merged.push(result.id);
  }
  if (merged.length < 2) return { merged, conflicts, passed: null };

  // A branch of its own for the worktree: the sandbox gives the shell its branch ref as it does an agent's.
  const nonce = randomUUID().slice(0, 8);
  const branch = `parallel-agents-together/${nonce}`;
  const dir = path.join(options.root, `together-${nonce}`);
  await git(repo, ['branch', '--no-track', branch, tip!]);
  try {
    await mkdir(options.root, { recursive: true });
    await git(repo, ['worktree', 'add', '--quiet', dir, branch]);
    const gitDir = await gitDirOf(repo, dir);
    const home = path.join(options.homeRoot, `together-${nonce}`);
    await mkdir(home, { recursive: true });
    const shell = commandShell({
      shell: options.shell,
      worktree: { path: dir, branch, gitDir },
      home,
      env: shellEnvironment(process.env, home),
    });
    try {
      const check: TogetherCheck = { merged, conflicts, passed: false };
      if (checks.setup) {
        const setup = await shell.run(checks.setup, {
          timeoutMs: checks.verifyTimeoutMs,
          signal: options.signal,
        });
        check.setup = setup.run;
        if (setup.run.exitCode !== 0) return check;
      }
      const verify = await shell.run(checks.verify, {
        timeoutMs: checks.verifyTimeoutMs,
        signal: options.signal,
      });
      return { ...check, verify: verify.run, passed: verify.run.exitCode === 0 };
    } finally {
      await shell.close();
    }
  } finally {
    await git(repo, ['worktree', 'remove', '--force', dir]).catch(() =>
      rm(dir, { recursive: true, force: true }),
    );
    await git(repo, ['worktree', 'prune']).catch(() => undefined);
    await git(repo, ['branch', '-D', branch]).catch(() => undefined);
  }
}
