// The git under every agent, by itself: each task's worktree made, a file written in it, staged, committed and removed,
// through the action's own Workspace, in a process of its own, with no model and nothing else of the action. What a
// run on this machine spends on git before any model turn, so that the bench can show the part of the overhead that
// is a git worktree an agent.
//
// Usage: git-alone.ts <tasks> <concurrency>
// Prints one JSON line: the wall time of the lifecycles, and the process's CPU time in them (git's own aside).
import fs from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { Workspace } from '../src/git/workspace.js';
import { makeRepo, tempDir } from '../support/git-repo.js';

const [tasks = '100', concurrency = '20'] = process.argv.slice(2);
const repo = makeRepo({ 'README.md': '# Bench\n', 'notes/.keep': '' });
const workspace = new Workspace({ repo, root: path.join(tempDir('pa-bench-git-'), 'worktrees') });
await workspace.prune();
const limit = pLimit(Number(concurrency));
const started = performance.now();
const cpu = process.cpuUsage();
await Promise.all(
  Array.from({ length: Number(tasks) }, (_, i) =>
    limit(async () => {
      const id = `BEN-${i + 1}`;
      const worktree = await workspace.open({ id, title: `Task ${i + 1}` });
      await worktree.ready!();
      await fs.writeFile(path.join(worktree.path, 'notes', `${id}.md`), `Notes of ${id}.\n`);
      // As an agent with the file tools alone does: staged while the model would think, then committed.
      await workspace.stageAhead(worktree);
      await workspace.commit(worktree, `${id}: Task`, { stagedAhead: true, onlyFileTools: true });
      await workspace.remove(worktree);
    }),
  ),
);
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }));
