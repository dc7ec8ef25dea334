import { InputError } from '../../src/errors.js';
import { planTasks } from '../../src/tasks/plan.js';
import type { Task } from '../../src/tasks/task.js';

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: `Do ${id}.`, dependsOn: [], paths: [], ...fields };
}

/** What `planTasks` throws for these tasks. */
function planError(tasks: Task[]): InputError {
  try {
    planTasks(tasks);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('planTasks did not throw');
}

/** A diamond: BAC-1 first, BAC-2 and BAC-3 after it, BAC-4 after both. */
const diamond = () => [
  task('BAC-1'),
  task('BAC-2', { dependsOn: ['BAC-1'] }),
  task('BAC-3', { dependsOn: ['BAC-1'] }),
  task('BAC-4', { dependsOn: ['BAC-2', 'BAC-3'] }),
];

describe('planTasks', () => {
  it('lays a diamond out in three levels with its four dependencies', () => {
    const plan = planTasks(diamond());
    expect(plan.levels).toEqual([['BAC-1'], ['BAC-2', 'BAC-3'], ['BAC-4']]);
    expect(plan.dependencies).toEqual([
      { task: 'BAC-2', dependsOn: 'BAC-1' },
      { task: 'BAC-3', dependsOn: 'BAC-1' },
      { task: 'BAC-4', dependsOn: 'BAC-2' },
      { task: 'BAC-4', dependsOn: 'BAC-3' },
    ]);
    expect(plan.order).toEqual(['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4']);
  });

  it('puts a task one level below its deepest dependency', () => {
    const plan = planTasks([
      task('BAC-1'),
      task('BAC-2', { dependsOn: ['BAC-1'] }),
      task('BAC-3', { dependsOn: ['BAC-2'] }),
      task('BAC-4', { dependsOn: ['BAC-1', 'BAC-3'] }),
      task('BAC-5'),
    ]);
    expect(plan.levels).toEqual([['BAC-1', 'BAC-5'], ['BAC-2'], ['BAC-3'], ['BAC-4']]);
  });

  it('keeps the tasks in the order they were given', () => {
    const tasks = [task('BAC-3'), task('BAC-1'), task('BAC-2')];
    expect(planTasks(tasks).tasks.map((t) => t.id)).toEqual(['BAC-3', 'BAC-1', 'BAC-2']);
  });

  it('keeps the given order when it already respects the dependencies', () => {
    const tasks = [
      task('BAC-9'),
      task('BAC-2'),
      task('BAC-7', { dependsOn: ['BAC-9'] }),
      task('BAC-1'),
      task('BAC-5', { dependsOn: ['BAC-2', 'BAC-7'] }),
    ];
    expect(planTasks(tasks).order).toEqual(['BAC-9', 'BAC-2', 'BAC-7', 'BAC-1', 'BAC-5']);
  });

  it('moves a task only as far as its dependencies require', () => {
    const tasks = [
      task('BAC-1', { dependsOn: ['BAC-4'] }),
      task('BAC-2'),
      task('BAC-3', { dependsOn: ['BAC-1'] }),
      task('BAC-4'),
      task('BAC-5'),
    ];
    expect(planTasks(tasks).order).toEqual(['BAC-2', 'BAC-4', 'BAC-1', 'BAC-3', 'BAC-5']);
  });

  it('drops a dependency listed twice', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1', 'BAC-1'] })]);
    expect(plan.dependencies).toEqual([{ task: 'BAC-2', dependsOn: 'BAC-1' }]);
  });

  it('plans no tasks as an empty plan', () => {
    const plan = planTasks([]);
    expect(plan).toMatchObject({ levels: [], order: [], criticalPath: [], criticalPathHours: 0 });
  });

  describe('rejects', () => {
    it('a dependency on an id not in the list, saying where and how to fix it', () => {
      const error = planError([
        task('BAC-1'),
        task('BAC-2', { dependsOn: ['BAC-1', 'BAC-9'], where: 'tasks.yml line 4' }),
      ]);
      expect(error.message).toBe(
        'tasks.yml line 4: BAC-2 depends on BAC-9, which is not in the task list. ' +
          `Add BAC-9 to the tasks or remove it from BAC-2's "depends on"`,
      );
    });

    it("a dependency on an id not in the list, at 'tasks' when the task does not say where it came from", () => {
      expect(planError([task('BAC-2', { dependsOn: ['BAC-9'] })]).where).toBe('tasks');
    });

    it('a task that depends on itself', () => {
      const error = planError([task('BAC-1'), task('BAC-3', { dependsOn: ['BAC-3'], where: 'issue #7' })]);
      expect(error.what).toBe('BAC-3 depends on itself');
      expect(error.where).toBe('issue #7');
      expect(error.message).toBe('issue #7: BAC-3 depends on itself. Remove BAC-3 from its own "depends on"');
    });

    it('a cycle of two, naming it', () => {
      const error = planError([
        task('BAC-1', { dependsOn: ['BAC-2'], where: 'input `tasks` line 1' }),
        task('BAC-2', { dependsOn: ['BAC-1'] }),
      ]);
      expect(error.message).toBe(
        'input `tasks` line 1: dependency cycle BAC-1 → BAC-2 → BAC-1. Remove one of these dependencies',
      );
    });

    it('a cycle of five, naming it in order from the task listed first', () => {
      const error = planError([
        task('BAC-0'),
        task('BAC-3', { dependsOn: ['BAC-4'] }),
        task('BAC-1', { dependsOn: ['BAC-0', 'BAC-2'] }),
        task('BAC-5', { dependsOn: ['BAC-1'] }),
        task('BAC-2', { dependsOn: ['BAC-3'] }),
        task('BAC-4', { dependsOn: ['BAC-5'] }),
      ]);
      expect(error.what).toBe('dependency cycle BAC-3 → BAC-4 → BAC-5 → BAC-1 → BAC-2 → BAC-3');
      expect(error.fix).toBe('Remove one of these dependencies');
    });

    it('a cycle reached through tasks outside it, naming only the cycle', () => {
      const error = planError([
        task('BAC-1', { dependsOn: ['BAC-2'] }),
        task('BAC-2', { dependsOn: ['BAC-3'] }),
        task('BAC-3', { dependsOn: ['BAC-4'] }),
        task('BAC-4', { dependsOn: ['BAC-3'] }),
      ]);
      expect(error.what).toBe('dependency cycle BAC-3 → BAC-4 → BAC-3');
    });

    it('an id listed twice', () => {
      const error = planError([task('BAC-1'), task('BAC-1', { where: 'tasks.json' })]);
      expect(error.message).toBe(
        'tasks.json: BAC-1 is listed twice. Keep one task per id, or give the second task its own id',
      );
    });

    it('a negative estimate', () => {
      expect(planError([task('BAC-1', { estimate: -2 })]).what).toBe('BAC-1 has an estimate of -2 hours');
    });
  });

  describe('conflicts', () => {
    it('pairs the tasks whose paths overlap, saying which globs do', () => {
      const plan = planTasks([
        task('BAC-1', { paths: ['src/gateway/**'] }),
        task('BAC-2', { paths: ['docs/**'] }),
        task('BAC-3', { paths: ['src/gateway/router.ts', 'README.md'] }),
        task('BAC-4', { paths: ['**/*.md'] }),
      ]);
      expect(plan.conflicts).toEqual([
        { a: 'BAC-1', b: 'BAC-3', globs: ['src/gateway/**', 'src/gateway/router.ts'] },
        { a: 'BAC-1', b: 'BAC-4', globs: ['src/gateway/**', '**/*.md'] },
        { a: 'BAC-2', b: 'BAC-4', globs: ['docs/**', '**/*.md'] },
        { a: 'BAC-3', b: 'BAC-4', globs: ['README.md', '**/*.md'] },
      ]);
    });

    it('finds none between tasks with disjoint paths', () => {
      const plan = planTasks([
        task('BAC-1', { paths: ['src/gateway/**'] }),
        task('BAC-2', { paths: ['docs/**', 'README.md'] }),
        task('BAC-3', { paths: ['src/billing/*.ts'] }),
      ]);
      expect(plan.conflicts).toEqual([]);
    });

    it('finds none for tasks that name no paths', () => {
      expect(planTasks([task('BAC-1'), task('BAC-2', { paths: ['**'] })]).conflicts).toEqual([]);
    });

    it('leaves out a pair already ordered by a chain of dependencies', () => {
      const plan = planTasks([
        task('BAC-1', { paths: ['src/**'] }),
        task('BAC-2', { dependsOn: ['BAC-1'] }),
        task('BAC-3', { dependsOn: ['BAC-2'], paths: ['src/a.ts'] }),
        task('BAC-4', { paths: ['src/**/*.ts'] }),
      ]);
      expect(plan.conflicts.map((c) => [c.a, c.b])).toEqual([
        ['BAC-1', 'BAC-4'],
        ['BAC-3', 'BAC-4'],
      ]);
    });
  });

  describe('stacks', () => {
    it('stacks a task on the nearest of several that overlap it, which already hold the others', () => {
      const plan = planTasks([
        task('BAC-1', { paths: ['CHANGELOG.md'] }),
        task('BAC-2', { paths: ['CHANGELOG.md'] }),
        task('BAC-3', { paths: ['CHANGELOG.md', 'src/**'] }),
        task('BAC-4', { paths: ['src/a.ts'] }),
      ]);
      expect(plan.conflicts).toHaveLength(4);
      expect(plan.stacks.map((s) => [s.task, s.on])).toEqual([
        ['BAC-2', 'BAC-1'],
        ['BAC-3', 'BAC-2'],
        ['BAC-4', 'BAC-3'],
      ]);
    });

    it('stacks each overlapping task on the one before it in the list, and waits for it in levels and the critical path', () => {
      const plan = planTasks([
        task('BAC-1', { paths: ['src/router.js'], estimate: 2 }),
        task('BAC-2', { paths: ['docs/**'], estimate: 1 }),
        task('BAC-3', { paths: ['src/**'], estimate: 3 }),
      ]);
      expect(plan.overlap).toBe('stack');
      expect(plan.stacks).toEqual([{ task: 'BAC-3', on: 'BAC-1', globs: ['src/**', 'src/router.js'] }]);
      expect(plan.levels).toEqual([['BAC-1', 'BAC-2'], ['BAC-3']]);
      expect(plan.criticalPath).toEqual(['BAC-1', 'BAC-3']);
      expect(plan.criticalPathHours).toBe(5);
    });

    it('orders a stack by the dependencies where they put the later-listed task first, so no cycle can form', () => {
      // BAC-1 waits for BAC-3, BAC-3 overlaps BAC-2, BAC-2 overlaps BAC-1: stacking by list order alone would close
      // the circle BAC-1 → BAC-3 → BAC-2 → BAC-1.
      const plan = planTasks([
        task('BAC-1', { dependsOn: ['BAC-3'], paths: ['a/**'] }),
        task('BAC-2', { paths: ['a/x', 'b/x'] }),
        task('BAC-3', { paths: ['b/**'] }),
      ]);
      expect(plan.order).toEqual(['BAC-2', 'BAC-3', 'BAC-1']);
      // BAC-1 already waits for BAC-2 through BAC-3, so it stacks on nothing more.
      expect(plan.stacks.map((s) => [s.task, s.on])).toEqual([['BAC-3', 'BAC-2']]);
      expect(plan.levels).toEqual([['BAC-2'], ['BAC-3'], ['BAC-1']]);
    });

    it('stacks nothing under overlap: parallel, and keeps the overlaps as conflicts', () => {
      const tasks = [task('BAC-1', { paths: ['src/**'] }), task('BAC-2', { paths: ['src/a.ts'] })];
      const plan = planTasks(tasks, { overlap: 'parallel' });
      expect(plan.stacks).toEqual([]);
      expect(plan.conflicts).toHaveLength(1);
      expect(plan.levels).toEqual([['BAC-1', 'BAC-2']]);
    });
  });

  describe('critical path', () => {
    it('follows the chain with the most hours, not the most tasks', () => {
      const plan = planTasks([
        task('BAC-1', { estimate: 2 }),
        task('BAC-2', { estimate: 1, dependsOn: ['BAC-1'] }),
        task('BAC-3', { estimate: 4, dependsOn: ['BAC-1'] }),
        task('BAC-4', { estimate: 1, dependsOn: ['BAC-2'] }),
        task('BAC-5', { estimate: 1, dependsOn: ['BAC-3', 'BAC-4'] }),
        task('BAC-6', { estimate: 6 }),
      ]);
      expect(plan.criticalPath).toEqual(['BAC-1', 'BAC-3', 'BAC-5']);
      expect(plan.criticalPathHours).toBe(7);
    });

    it('counts a task without an estimate as the median of the others', () => {
      const plan = planTasks([
        task('BAC-1', { estimate: 1 }),
        task('BAC-2', { estimate: 3 }),
        task('BAC-3', { estimate: 6 }),
        task('BAC-4', { dependsOn: ['BAC-1'] }),
      ]);
      expect(plan.defaultEstimateHours).toBe(3);
      expect(plan.criticalPath).toEqual(['BAC-3']);
      expect(planTasks([...plan.tasks, task('BAC-5', { dependsOn: ['BAC-4'] })]).criticalPathHours).toBe(7);
    });

    it('counts each task as an hour when none has an estimate: the longest chain wins', () => {
      const plan = planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1'] }), task('BAC-3')]);
      expect(plan.defaultEstimateHours).toBe(1);
      expect(plan.criticalPath).toEqual(['BAC-1', 'BAC-2']);
      expect(plan.criticalPathHours).toBe(2);
    });

    it('adds fractions of an hour without float noise', () => {
      const plan = planTasks([
        task('BAC-1', { estimate: 0.1 }),
        task('BAC-2', { estimate: 0.2, dependsOn: ['BAC-1'] }),
      ]);
      expect(plan.criticalPathHours).toBe(0.3);
    });

    it('picks the earlier-listed chain among equal ones', () => {
      const plan = planTasks([task('BAC-2', { estimate: 2 }), task('BAC-1', { estimate: 2 })]);
      expect(plan.criticalPath).toEqual(['BAC-2']);
    });
  });

  it('plans two thousand tasks that share globs without a cost that grows out of hand', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) =>
      task(`BAC-${i + 1}`, {
        dependsOn: i % 10 === 0 || i === 0 ? [] : [`BAC-${i}`],
        paths: [`src/module${i % 50}/**`, 'CHANGELOG.md'],
      }),
    );
    // About 1.5 s here on a quiet machine (half a million overlapping pairs); the line is drawn far above that, so a
    // busy machine does not trip it, while a cost that grows with the square of the stacks (minutes) still does.
    const started = Date.now();
    const plan = planTasks(tasks);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(plan.order).toHaveLength(2000);
    // Every task but the first of each chain stacks on the one before it that shares its files, and no more.
    expect(plan.stacks.length).toBeLessThan(2000);
  });
});
