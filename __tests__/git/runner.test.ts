import diagnostics from 'node:diagnostics_channel';
import os from 'node:os';
import { git, GitError } from '../../src/git/runner.js';
import { makeRepo } from '../../support/git-repo.js';

describe('git', () => {
  const repo = makeRepo({ 'README.md': '# Runner\n' });

  it("fails with a GitError that carries git's own message", async () => {
    const failure = await git(repo, ['rev-parse', '--verify', 'no-such-branch']).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GitError);
    expect((failure as GitError).message).toBe('git rev-parse failed: fatal: Needed a single revision');
    expect((failure as GitError).exitCode).toBe(128);
  });

  it('passes config in the environment, not on the command line', async () => {
    const config = [['parallel-agents.secret', 'not-on-argv'] as const];
    // Git's own alias prints the command line of the git that runs it.
    const argv = await git(repo, ['-c', 'alias.argv=!tr "\\0" " " < /proc/$PPID/cmdline', 'argv'], {
      config,
    });
    expect(argv).toContain('argv');
    expect(argv).not.toContain('not-on-argv');
    expect(await git(repo, ['config', 'parallel-agents.secret'], { config })).toBe('not-on-argv\n');
  });

  it('gives git none of the parent environment but what it needs', async () => {
    process.env.GITHUB_TOKEN = 'ghs_runnerSecret';
    process.env.GIT_DIR = '/elsewhere';
    try {
      const env = await git(repo, ['-c', 'alias.env=!env', 'env']);
      expect(env).not.toContain('ghs_runnerSecret');
      expect(env).not.toMatch(/^GIT_DIR=/m);
      expect(env).toMatch(/^GIT_TERMINAL_PROMPT=0$/m);
    } finally {
      delete process.env.GITHUB_TOKEN;
      delete process.env.GIT_DIR;
    }
  });

  it('stops git when its signal aborts', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const running = git(repo, ['-c', 'alias.wait=!sleep 5', 'wait'], { signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    await expect(running).rejects.toThrow('git wait failed: stopped');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('starts the gits asked for together each in a turn of the event loop of its own', async () => {
    // A count of the loop's turns, and the turn in which Node starts each process.
    let turn = 0;
    let counting = true;
    const count = () => {
      turn += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const startedIn: number[] = [];
    const onSpawn = () => startedIn.push(turn);
    diagnostics.subscribe('child_process', onSpawn);
    try {
      await Promise.all(Array.from({ length: 6 }, () => git(repo, ['rev-parse', 'HEAD'])));
    } finally {
      diagnostics.unsubscribe('child_process', onSpawn);
      counting = false;
    }
    expect(startedIn).toHaveLength(6);
    expect(new Set(startedIn).size).toBe(6);
  });

  it('fails past maxBuffer', async () => {
    await expect(git(repo, ['cat-file', '-p', 'HEAD:README.md'], { maxBuffer: 4 })).rejects.toBeInstanceOf(
      GitError,
    );
  });

  it('runs git a little below this process, and background work lower still', async () => {
    // The niceness of the git that runs the alias, read once it has been lowered.
    const nice = ['-c', 'alias.nice=!sleep 0.3; cut -d " " -f 19 /proc/$PPID/stat', 'nice'];
    const [foreground, background] = await Promise.all([
      git(repo, nice),
      git(repo, nice, { background: true }),
    ]);
    expect([Number(foreground), Number(background)]).toEqual([os.getPriority() + 5, os.getPriority() + 10]);
  });
});
