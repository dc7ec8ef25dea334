import fs from 'node:fs';
import path from 'node:path';
import { foundationOf } from '../../src/git/foundation.js';
import { git, makeRepo } from '../../support/git-repo.js';

/** A commit on a new branch from `from` that writes `files`; its id. */
function work(repo: string, from: string, files: Record<string, string>): string {
  const branch = `w-${Math.random().toString(36).slice(2)}`;
  git(repo, 'checkout', '-q', '-b', branch, from);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(repo, name), text);
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qm', branch);
  const commit = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', 'main');
  return commit;
}

describe('foundationOf', () => {
  const repo = makeRepo({ 'router.js': 'route()\n', 'docs.md': '# Docs\n', 'a.txt': 'a\n' });

  it('starts from nothing when nothing is built on', async () => {
    expect(await foundationOf(repo, [])).toBeUndefined();
  });

  it("starts a chain at the last link's commit, with no merge commit", async () => {
    const a = work(repo, 'main', { 'router.js': 'route(fixed)\n' });
    const b = work(repo, a, { 'docs.md': '# Docs for the fix\n' });
    expect(
      await foundationOf(repo, [
        { task: 'BAC-1', commit: a },
        { task: 'BAC-2', commit: b },
      ]),
    ).toEqual({
      commit: b,
      from: ['BAC-1', 'BAC-2'],
    });
  });

  it('merges two independent pieces of work into one commit that holds both', async () => {
    const a = work(repo, 'main', { 'router.js': 'route(a)\n' });
    const b = work(repo, 'main', { 'docs.md': '# b\n' });
    const found = await foundationOf(repo, [
      { task: 'BAC-1', commit: a },
      { task: 'BAC-2', commit: b },
    ]);
    if (!found || !('commit' in found)) throw new Error(`no merge: ${JSON.stringify(found)}`);
    expect(git(repo, 'show', `${found.commit}:router.js`)).toBe('route(a)');
    expect(git(repo, 'show', `${found.commit}:docs.md`)).toBe('# b');
    expect(git(repo, 'rev-list', '--parents', '-n1', found.commit).split(' ').slice(1)).toEqual([a, b]);
  });

  it('names the pair whose work does not merge, and the files', async () => {
    const a = work(repo, 'main', { 'router.js': 'route(a)\n' });
    const b = work(repo, 'main', { 'docs.md': '# b\n' });
    const c = work(repo, 'main', { 'router.js': 'route(c)\n' });
    expect(
      await foundationOf(repo, [
        { task: 'BAC-1', commit: a },
        { task: 'BAC-2', commit: b },
        { task: 'BAC-3', commit: c },
      ]),
    ).toEqual({ conflict: { tasks: ['BAC-1', 'BAC-3'], files: ['router.js'] } });
  });
});
