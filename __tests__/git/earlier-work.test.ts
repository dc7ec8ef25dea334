import { readEarlierRuns, earlierRows } from '../../src/earlier-runs.js';
import { Workspace } from '../../src/git/workspace.js';
import type { Outcome } from '../../src/report/outcome.js';
import type { Task, TaskSet } from '../../src/tasks/task.js';
import { addBareOrigin, git, makeRepo, tempDir } from '../../support/git-repo.js';
import { taskOf } from '../../support/run-agents.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

const task = (id: string, dependsOn: string[] = []): Task =>
  taskOf(id, { title: `Title of ${id}`, dependsOn });
const all: TaskSet = {
  context: '',
  source: 'issue #7',
  tasks: [task('BAC-1'), task('BAC-2', ['BAC-1']), task('BAC-3'), task('BAC-4', ['BAC-3'])],
};
const only = (...ids: string[]): TaskSet => ({ ...all, tasks: all.tasks.filter((t) => ids.includes(t.id)) });
const pullUrl = (n: number) => `https://github.com/o/r/pull/${n}`;

/** A checkout whose origin holds the branch an earlier run pushed for BAC-1, and a second checkout of that origin. */
function earlierRun() {
  const first = makeRepo({ 'README.md': '# Gateway\n', 'src/router.js': 'openai\n' });
  const origin = addBareOrigin(first);
  git(first, 'checkout', '-q', '-b', 'parallel-agents/bac-1-fix');
  writeFileSync(join(first, 'src/router.js'), 'anthropic\n');
  writeFileSync(join(first, 'NOTES.md'), 'notes\n');
  git(first, 'add', '-A');
  git(first, '-c', 'user.name=A', '-c', 'user.email=a@b', 'commit', '-qm', 'BAC-1');
  git(first, 'push', '-q', 'origin', 'parallel-agents/bac-1-fix');
  const tip = git(first, 'rev-parse', 'HEAD');
  const second = tempDir('pa-second-');
  git(second, 'clone', '-q', '-b', 'main', origin, '.');
  return { second, tip };
}

const record: Outcome = {
  'BAC-1': { status: 'succeeded', branch: 'parallel-agents/bac-1-fix', pr: 12 },
  'BAC-2': { status: 'failed' },
  // Merged and deleted since: gone from origin.
  'BAC-3': { status: 'succeeded', branch: 'parallel-agents/bac-3-gone', pr: 13 },
};

describe('the work of earlier runs', () => {
  it("fetches a left-out dependency's pushed branch as the start of its dependent, with the files it changed", async () => {
    const { second, tip } = earlierRun();
    const workspace = new Workspace({ repo: second, root: join(tempDir(), 'worktrees') });
    const warnings: string[] = [];
    const earlier = await readEarlierRuns(workspace, all, only('BAC-2', 'BAC-4'), record, pullUrl, (w) =>
      warnings.push(w),
    );
    expect(earlier.tips).toEqual([
      {
        task: 'BAC-2',
        on: 'BAC-1',
        title: 'Title of BAC-1',
        commit: tip,
        filesChanged: ['NOTES.md', 'src/router.js'],
      },
    ]);
    expect(earlier.branches).toEqual([
      {
        task: 'BAC-1',
        branch: 'parallel-agents/bac-1-fix',
        commit: tip,
        pullRequest: { number: 12, url: 'https://github.com/o/r/pull/12' },
      },
    ]);
    // The commit is in the second checkout now, under origin's name for the branch.
    expect(git(second, 'rev-parse', 'refs/remotes/origin/parallel-agents/bac-1-fix')).toBe(tip);
    expect(warnings).toEqual([
      'BAC-4 builds on BAC-3, whose branch parallel-agents/bac-3-gone is not on origin: it starts from the base',
    ]);
  });

  it('asks nothing of git when no left-out task has pushed work, and warns when origin cannot be read', async () => {
    const asked: string[][] = [];
    const none = await readEarlierRuns(
      { earlierWork: async (b) => (asked.push([...b]), new Map()), filesChangedBy: async () => [] },
      all,
      // BAC-4, left out, has no branch of its own.
      only('BAC-1', 'BAC-2', 'BAC-3'),
      record,
      pullUrl,
      () => {},
    );
    expect(none).toEqual({ tips: [], branches: [] });
    expect(asked).toEqual([]);

    const warnings: string[] = [];
    const broken = await readEarlierRuns(
      {
        earlierWork: () => Promise.reject(new Error('could not read from remote repository')),
        filesChangedBy: async () => [],
      },
      all,
      only('BAC-2'),
      record,
      pullUrl,
      (w) => warnings.push(w),
    );
    expect(broken).toEqual({ tips: [], branches: [] });
    expect(warnings[0]).toBe(
      'The branches of earlier runs could not be fetched from origin: could not read from remote repository',
    );
  });

  it('keeps a row for each task this run leaves out, as the record has it', () => {
    expect(earlierRows(all, only('BAC-2'), record, pullUrl)).toEqual([
      {
        id: 'BAC-1',
        title: 'Title of BAC-1',
        status: 'succeeded',
        pullRequest: { number: 12, url: 'https://github.com/o/r/pull/12' },
      },
      {
        id: 'BAC-3',
        title: 'Title of BAC-3',
        status: 'succeeded',
        pullRequest: { number: 13, url: 'https://github.com/o/r/pull/13' },
      },
    ]);
    expect(earlierRows(all, only('BAC-2'), undefined, pullUrl)).toEqual([]);
  });
});
