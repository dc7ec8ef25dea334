import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Workspace } from '../../src/git/workspace.js';
import { git, gitTrace, makeRepo, serveOverHttp, tempDir } from '../../support/git-repo.js';

const TOKEN = 'ghs_pushToken0123456789';

/** A bare origin holding `main`, and a clone of it: a runner's checkout. */
function originAndClone(): { origin: string; clone: () => string } {
  const seed = makeRepo({ 'README.md': '# Pushed\n' });
  const origin = join(tempDir('pa-origin-'), 'gateway.git');
  git(seed, 'clone', '-q', '--bare', seed, origin);
  return {
    origin,
    clone: () => {
      const dir = join(tempDir('pa-runner-'), 'checkout');
      git(seed, 'clone', '-q', origin, dir);
      return dir;
    },
  };
}

/** One run's agent: a worktree of `task` in `repo`, opened now, with `file` written and committed later. */
async function agentOf(repo: string, task = { id: 'BAC-1', title: 'Push me' }) {
  const workspace = new Workspace({ repo, root: join(tempDir(), 'worktrees'), token: TOKEN });
  const worktree = await workspace.create(task);
  return {
    workspace,
    worktree,
    finish: async (file: string) => {
      await writeFile(join(worktree.path, file), `${file}\n`);
      const { commit } = await workspace.commit(worktree, `${task.id}: ${file}`);
      return { commit: commit!, outcome: await workspace.push(worktree) };
    },
  };
}

describe('a push over HTTPS', () => {
  it('gives git the token in its environment, never on a command line', async () => {
    const { origin, clone } = originAndClone();
    const remote = await serveOverHttp(origin, TOKEN);
    try {
      const repo = clone();
      git(repo, 'remote', 'set-url', 'origin', remote.url);
      let pushed: Awaited<ReturnType<Awaited<ReturnType<typeof agentOf>>['finish']>> | undefined;
      const trace = await gitTrace(async () => {
        const agent = await agentOf(repo);
        pushed = await agent.finish('work.md');
      });

      // The server answers only with the token: the branch is there, so git sent it.
      expect(pushed!.outcome).toEqual({ pushed: true });
      expect(git(origin, 'rev-parse', 'parallel-agents/bac-1-push-me')).toBe(pushed!.commit);
      const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
      expect(remote.authorizations).toContain(`basic ${basic}`);
      // Every git process the run started, and every one they started (git-remote-http), with its arguments.
      const starts = trace.split('\n').filter((line) => / (start|child_start\[\d+\]) /.test(line));
      expect(starts.some((line) => / start .*remote-https? origin /.test(line))).toBe(true);
      expect(starts.some((line) => / start git ls-remote /.test(line))).toBe(true);
      expect(starts.some((line) => / start git push /.test(line))).toBe(true);
      for (const secret of [TOKEN, basic, 'AUTHORIZATION']) expect(trace).not.toContain(secret);
      expect(git(repo, 'config', '--list')).not.toContain(basic);
    } finally {
      await remote.close();
    }
  });
});

describe('a push never replaces work this run did not make', () => {
  it('leaves a branch another run pushed after this one read origin, and says so', async () => {
    const { origin, clone } = originAndClone();
    // Two runs of the same task at once, on two runners: both read origin before either pushes.
    const first = await agentOf(clone());
    const second = await agentOf(clone());

    const a = await first.finish('first.md');
    const b = await second.finish('second.md');

    expect(a.outcome).toEqual({ pushed: true });
    expect(b.outcome).toEqual({
      pushed: false,
      reason:
        'not pushed: parallel-agents/bac-1-push-me appeared on origin after this run found none (another run ' +
        'or a person pushed to it); it is left as it is, and this work is on the runner only',
    });
    expect(git(origin, 'rev-parse', 'parallel-agents/bac-1-push-me')).toBe(a.commit);
  });

  it("replaces an earlier run's branch, but not once it moved on since this run read it", async () => {
    const { origin, clone } = originAndClone();
    const earlier = await agentOf(clone());
    const left = await earlier.finish('earlier.md');
    expect(left.outcome).toEqual({ pushed: true });

    // A re-run, twice at once: each reads the earlier run's branch, which either may replace.
    const first = await agentOf(clone());
    const second = await agentOf(clone());
    const a = await first.finish('first.md');
    const b = await second.finish('second.md');

    expect(a.outcome).toEqual({ pushed: true });
    expect(b.outcome).toMatchObject({
      pushed: false,
      reason: expect.stringMatching(
        /^not pushed: parallel-agents\/bac-1-push-me moved on origin since this run read it/,
      ),
    });
    expect(git(origin, 'rev-parse', 'parallel-agents/bac-1-push-me')).toBe(a.commit);
    expect(git(origin, 'rev-list', '--count', 'parallel-agents/bac-1-push-me')).toBe('2');
  });

  it('only adds to what is on origin when the run could not read it at its start', async () => {
    const { origin, clone } = originAndClone();
    const repo = clone();
    // Origin is away when the run starts; by its push, someone else's branch of the same name is there.
    git(repo, 'remote', 'set-url', 'origin', join(tempDir(), 'away.git'));
    const { workspace, worktree } = await agentOf(repo);
    git(repo, 'remote', 'set-url', 'origin', origin);
    const other = await agentOf(clone());
    const theirs = await other.finish('theirs.md');
    await writeFile(join(worktree.path, 'mine.md'), 'mine\n');
    await workspace.commit(worktree, 'BAC-1: mine');

    expect(await workspace.push(worktree)).toEqual({
      pushed: false,
      reason:
        'not pushed: parallel-agents/bac-1-push-me on origin holds commits this run did not make ' +
        '(fetch first); it is left as it is, and this work is on the runner only',
    });
    expect(git(origin, 'rev-parse', 'parallel-agents/bac-1-push-me')).toBe(theirs.commit);
  });
});
