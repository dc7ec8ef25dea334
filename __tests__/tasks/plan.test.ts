import { InputError } from '../../src/errors.js';
import {
  MAX_SHARDS,
  matrixFor,
  planTasks,
  readyTasks,
  shardPlan,
  type Plan,
  type Progress,
} from '../../src/tasks/plan.js';
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

  it('plans two thousand tasks with shared globs in well under a few seconds', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) =>
      task(`BAC-${i + 1}`, {
        dependsOn: i % 10 === 0 || i === 0 ? [] : [`BAC-${i}`],
        paths: [`src/module${i % 50}/**`, 'CHANGELOG.md'],
      }),
    );
    const started = Date.now();
    const plan = planTasks(tasks);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(plan.order).toHaveLength(2000);
  });
});

describe('shardPlan', () => {
  const independent = (estimates: (number | undefined)[]) =>
    planTasks(estimates.map((estimate, i) => task(`BAC-${i + 1}`, { estimate })));

  it('keeps dependent tasks in one shard', () => {
    const plan = planTasks([
      task('BAC-1'),
      task('BAC-2'),
      task('BAC-3', { dependsOn: ['BAC-1'] }),
      task('BAC-4'),
      task('BAC-5', { dependsOn: ['BAC-3'] }),
    ]);
    const shards = shardPlan(plan, 8);
    expect(shards.find((s) => s.tasks.includes('BAC-1'))?.tasks).toEqual(['BAC-1', 'BAC-3', 'BAC-5']);
  });

  it('keeps conflicting tasks in one shard', () => {
    const plan = planTasks([
      task('BAC-1', { paths: ['src/gateway/**'] }),
      task('BAC-2', { paths: ['docs/**'] }),
      task('BAC-3', { paths: ['src/gateway/router.ts'] }),
    ]);
    const shards = shardPlan(plan, 8);
    expect(shards.map((s) => s.tasks)).toEqual([['BAC-1', 'BAC-3'], ['BAC-2']]);
  });

  it('balances the shards by estimate', () => {
    const shards = shardPlan(independent([5, 4, 3, 3, 1]), 2);
    expect(shards.map((s) => s.hours)).toEqual([8, 8]);
    expect(shards.map((s) => s.tasks)).toEqual([
      ['BAC-1', 'BAC-4'],
      ['BAC-2', 'BAC-3', 'BAC-5'],
    ]);
  });

  it('counts a task without an estimate as the plan does', () => {
    const shards = shardPlan(independent([4, undefined, 2, undefined]), 2);
    expect(shards.map((s) => s.hours)).toEqual([6, 6]);
    expect(shards.map((s) => s.tasks)).toEqual([
      ['BAC-1', 'BAC-3'],
      ['BAC-2', 'BAC-4'],
    ]);
  });

  it('never makes more shards than asked for', () => {
    const shards = shardPlan(independent([1, 1, 1, 1, 1, 1, 1]), 3);
    expect(shards).toHaveLength(3);
    expect(shards.flatMap((s) => s.tasks).sort()).toHaveLength(7);
  });

  it('makes no empty shard when there are fewer groups than shards', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1'] }), task('BAC-3')]);
    const shards = shardPlan(plan, 8);
    expect(shards).toHaveLength(2);
    expect(shards.every((s) => s.tasks.length > 0)).toBe(true);
  });

  it('spreads a thousand independent tasks over at most 256 shards', () => {
    const shards = shardPlan(independent(Array.from({ length: 1000 }, () => 1)), MAX_SHARDS);
    expect(shards).toHaveLength(256);
    expect(shards.map((s) => s.shard).slice(-1)).toEqual(['256']);
    expect(new Set(shards.flatMap((s) => s.tasks)).size).toBe(1000);
  });

  it('refuses a shard count outside 1 to 256', () => {
    const plan = independent([1]);
    expect(() => shardPlan(plan, 0)).toThrow(RangeError);
    expect(() => shardPlan(plan, 257)).toThrow(RangeError);
    expect(() => shardPlan(plan, 1.5)).toThrow(RangeError);
  });

  it('numbers the shards from 1 in the order of their first task', () => {
    const shards = shardPlan(independent([1, 9, 1]), 3);
    expect(shards.map((s) => [s.shard, s.tasks])).toEqual([
      ['1', ['BAC-1']],
      ['2', ['BAC-2']],
      ['3', ['BAC-3']],
    ]);
  });

  it('makes no shard for no tasks', () => {
    expect(shardPlan(planTasks([]), 4)).toEqual([]);
  });
});

describe('matrixFor', () => {
  it('gives one matrix job per shard with its tasks comma-separated', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1'] }), task('BAC-3')]);
    expect(matrixFor(shardPlan(plan, 8))).toEqual({
      include: [
        { shard: '1', tasks: 'BAC-1,BAC-2' },
        { shard: '2', tasks: 'BAC-3' },
      ],
    });
  });
});

describe('readyTasks', () => {
  function progress(fields: Partial<Record<keyof Progress, string[]>> = {}): Progress {
    return {
      succeeded: new Set(fields.succeeded),
      failed: new Set(fields.failed),
      skipped: new Set(fields.skipped),
      running: new Set(fields.running),
    };
  }

  /** Runs the plan the way the scheduler does, with every task in `failing` failing; returns what happened. */
  function simulate(plan: Plan, failing: string[] = []) {
    const state = progress();
    const running = state.running as Set<string>;
    const events: string[] = [];
    const skips: Record<string, string> = {};
    const queue: string[] = [];
    for (;;) {
      const next = readyTasks(plan, state);
      for (const { id, reason } of next.skip) {
        (state.skipped as Set<string>).add(id);
        skips[id] = reason;
      }
      for (const id of next.start) {
        for (const other of running) {
          if (plan.conflicts.some((c) => (c.a === id && c.b === other) || (c.b === id && c.a === other))) {
            throw new Error(`${id} started while ${other}, which conflicts with it, was running`);
          }
        }
        running.add(id);
        queue.push(id);
        events.push(`start ${id}`);
      }
      if (next.done) break;
      // The task that has waited or run longest ends first.
      const ended = queue[0];
      if (ended === undefined) throw new Error('nothing is running and nothing can start');
      queue.splice(queue.indexOf(ended), 1);
      running.delete(ended);
      (failing.includes(ended) ? (state.failed as Set<string>) : (state.succeeded as Set<string>)).add(ended);
      events.push(`end ${ended}`);
    }
    return { events, skips };
  }

  it('starts the tasks without dependencies first, then their dependents', () => {
    const plan = planTasks(diamond());
    expect(readyTasks(plan, progress()).start).toEqual(['BAC-1']);
    expect(readyTasks(plan, progress({ succeeded: ['BAC-1'] })).start).toEqual(['BAC-2', 'BAC-3']);
    expect(readyTasks(plan, progress({ succeeded: ['BAC-1', 'BAC-2'], running: ['BAC-3'] })).start).toEqual(
      [],
    );
  });

  it('does not return a task that is already running or has ended', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2'), task('BAC-3')]);
    const next = readyTasks(plan, progress({ running: ['BAC-1'], succeeded: ['BAC-2'] }));
    expect(next.start).toEqual(['BAC-3']);
  });

  it('never starts two conflicting tasks at once', () => {
    const plan = planTasks([
      task('BAC-1', { paths: ['src/**'] }),
      task('BAC-2', { paths: ['src/a.ts'] }),
      task('BAC-3', { paths: ['docs/**'] }),
      task('BAC-4', { paths: ['src/b.ts'] }),
    ]);
    expect(readyTasks(plan, progress()).start).toEqual(['BAC-1', 'BAC-3']);
    expect(readyTasks(plan, progress({ running: ['BAC-3'], succeeded: ['BAC-1'] })).start).toEqual([
      'BAC-2',
      'BAC-4',
    ]);
    expect(readyTasks(plan, progress({ running: ['BAC-4'] })).start).toEqual(['BAC-2', 'BAC-3']);
    expect(simulate(plan).events).toEqual([
      'start BAC-1',
      'start BAC-3',
      'end BAC-1',
      'start BAC-2',
      'start BAC-4',
      'end BAC-3',
      'end BAC-2',
      'end BAC-4',
    ]);
  });

  it('skips the dependents of a failed task, saying why', () => {
    const plan = planTasks([
      task('BAC-1'),
      task('BAC-2', { dependsOn: ['BAC-1'] }),
      task('BAC-3', { dependsOn: ['BAC-2'] }),
      task('BAC-4'),
    ]);
    const next = readyTasks(plan, progress({ failed: ['BAC-1'], running: ['BAC-4'] }));
    expect(next.skip).toEqual([
      { id: 'BAC-2', reason: 'skipped: BAC-1 failed' },
      { id: 'BAC-3', reason: 'skipped: BAC-2 was skipped' },
    ]);
    expect(next.start).toEqual([]);
    expect(next.done).toBe(false);
  });

  it('skips a task as soon as one dependency fails, without waiting for the others', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2'), task('BAC-3', { dependsOn: ['BAC-1', 'BAC-2'] })]);
    const next = readyTasks(plan, progress({ running: ['BAC-1'], failed: ['BAC-2'] }));
    expect(next.skip).toEqual([{ id: 'BAC-3', reason: 'skipped: BAC-2 failed' }]);
  });

  it('skips a task whose dependency was skipped earlier', () => {
    const plan = planTasks(diamond());
    const next = readyTasks(plan, progress({ failed: ['BAC-1'], skipped: ['BAC-2'], running: [] }));
    expect(next.skip).toEqual([
      { id: 'BAC-3', reason: 'skipped: BAC-1 failed' },
      { id: 'BAC-4', reason: 'skipped: BAC-2 was skipped' },
    ]);
    expect(next.done).toBe(true);
  });

  it('starts the task with the longest chain ahead of it first', () => {
    const plan = planTasks([
      task('BAC-1', { estimate: 1 }),
      task('BAC-2', { estimate: 1 }),
      task('BAC-3', { estimate: 5, dependsOn: ['BAC-2'] }),
    ]);
    expect(readyTasks(plan, progress()).start).toEqual(['BAC-2', 'BAC-1']);
  });

  it('says the run is done only when nothing is running and nothing is left', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2')]);
    expect(readyTasks(plan, progress({ succeeded: ['BAC-1'], running: ['BAC-2'] })).done).toBe(false);
    expect(readyTasks(plan, progress({ succeeded: ['BAC-1'], failed: ['BAC-2'] })).done).toBe(true);
    expect(readyTasks(planTasks([]), progress()).done).toBe(true);
  });

  it('brings a run with a failure to its end, every task started or skipped once', () => {
    const plan = planTasks([
      ...diamond(),
      task('BAC-5', { paths: ['src/**'] }),
      task('BAC-6', { paths: ['src/a.ts'], dependsOn: ['BAC-2'] }),
      task('BAC-7', { paths: ['src/b.ts'] }),
    ]);
    const { events, skips } = simulate(plan, ['BAC-3']);
    const started = events.filter((e) => e.startsWith('start ')).map((e) => e.slice(6));
    expect(new Set(started).size).toBe(started.length);
    expect([...started, ...Object.keys(skips)].sort()).toEqual(plan.tasks.map((t) => t.id).sort());
    expect(skips).toEqual({ 'BAC-4': 'skipped: BAC-3 failed' });
  });
});
