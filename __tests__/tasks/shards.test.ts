import { planTasks } from '../../src/tasks/plan.js';
import {
  MAX_SHARDS,
  decodeShardPlan,
  matrixFor,
  planDifferences,
  shardPlan,
  shardPlanOf,
} from '../../src/tasks/shards.js';
import type { Task } from '../../src/tasks/task.js';

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: `Do ${id}.`, dependsOn: [], paths: [], ...fields };
}

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

  it('spreads pairs held together by a dependency or an overlap over shards, numbered by their first task', () => {
    const plan = planTasks([
      task('WID-1'),
      task('WID-2', { dependsOn: ['WID-1'] }),
      task('WID-3'),
      task('WID-4', { dependsOn: ['WID-3'] }),
      task('WID-5', { paths: ['src/a/**'] }),
      task('WID-6', { paths: ['src/a/b.ts'] }),
    ]);
    const { include } = matrixFor(plan, shardPlan(plan, 3), 3);
    expect(include.map(({ shard, tasks }) => [shard, tasks])).toEqual([
      ['1', 'WID-1,WID-2'],
      ['2', 'WID-3,WID-4'],
      ['3', 'WID-5,WID-6'],
    ]);
  });

  it('makes no shard for no tasks', () => {
    expect(shardPlan(planTasks([]), 4)).toEqual([]);
  });
});

describe('matrixFor', () => {
  it('gives one matrix job per shard with its tasks comma-separated and its plan', () => {
    const plan = planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1'] }), task('BAC-3')]);
    const { include } = matrixFor(plan, shardPlan(plan, 8), 8);
    expect(include.map(({ shard, tasks }) => ({ shard, tasks }))).toEqual([
      { shard: '1', tasks: 'BAC-1,BAC-2' },
      { shard: '2', tasks: 'BAC-3' },
    ]);
    expect(decodeShardPlan(include[1]!.plan)).toEqual({
      tasks: 3,
      digest: expect.stringMatching(/^[0-9a-f]{16}$/),
      maxShards: 8,
      overlap: 'stack',
      shards: 2,
      shard: '2',
      ids: ['BAC-3'],
    });
  });
});

describe('a shard plan', () => {
  const tasks = [task('BAC-1', { paths: ['src/**'] }), task('BAC-2'), task('BAC-3', { estimate: 2 })];
  const planOf = (given: Task[], maxShards: number, overlap: 'stack' | 'parallel' = 'stack') => {
    const plan = planTasks(given, { overlap });
    const shards = shardPlan(plan, maxShards);
    return shardPlanOf(plan, shards, maxShards, shards[0]!);
  };

  it('agrees with itself when the inputs are the same, whatever the titles and prompts say', () => {
    const retitled = tasks.map((t) => ({ ...t, title: 'Other', prompt: 'Other.' }));
    expect(planDifferences(planOf(tasks, 2), planOf(retitled, 2))).toEqual([]);
  });

  it('names another max-shards, overlap, task count, or the same tasks shaped otherwise', () => {
    expect(planDifferences(planOf(tasks, 2), planOf(tasks, 3))).toEqual([
      { planned: 'max-shards 2', actual: '3' },
    ]);
    expect(planDifferences(planOf(tasks, 2), planOf(tasks, 2, 'parallel'))).toEqual([
      { planned: 'overlap stack', actual: 'parallel' },
    ]);
    expect(planDifferences(planOf(tasks, 2), planOf(tasks.slice(1), 2))[0]).toEqual({
      planned: '3 tasks',
      actual: '2 tasks',
    });
    const reshaped = planDifferences(planOf(tasks, 2), planOf([...tasks.slice(0, 2), task('BAC-3')], 2));
    expect(reshaped[0]!.actual).toMatch(/^3 tasks whose ids, order, dependencies, paths or estimates differ/);
  });

  it('reads back only what it wrote', () => {
    expect(decodeShardPlan('{"tasks":1}')).toBeUndefined();
    expect(decodeShardPlan('not json')).toBeUndefined();
    const ids = { ...planOf(tasks, 2), ids: ['../etc/passwd'] };
    expect(decodeShardPlan(JSON.stringify(ids))).toBeUndefined();
  });
});

describe('a shard plan of a predicted plan', () => {
  const predicted = [
    task('BAC-1', { paths: ['src/router.js'], predicted: { paths: 'It edits the router.' } }),
    task('BAC-2', {
      paths: ['docs/**'],
      dependsOn: ['BAC-1'],
      predicted: { dependsOn: 'It documents the new route.' },
    }),
    task('BAC-3'),
  ];

  it('carries what was predicted, and only that, through its encoding', () => {
    const plan = planTasks(predicted);
    const shards = shardPlan(plan, 2);
    const entry = matrixFor(plan, shards, 2, true).include[0]!;
    expect(decodeShardPlan(entry.plan)?.predicted).toEqual([
      { id: 'BAC-1', paths: ['src/router.js'], because: { paths: 'It edits the router.' } },
      { id: 'BAC-2', dependsOn: ['BAC-1'], because: { dependsOn: 'It documents the new route.' } },
    ]);
    // Asked for a predicted plan that predicted nothing, it still says it was one.
    expect(shardPlanOf(planTasks([task('BAC-1')]), shards, 2, shards[0]!, true).predicted).toEqual([]);
    expect(decodeShardPlan(matrixFor(plan, shards, 2).include[0]!.plan)).not.toHaveProperty('predicted');
  });

  it('is not one when what it carries is not a prediction', () => {
    const plan = JSON.parse(
      matrixFor(planTasks(predicted), shardPlan(planTasks(predicted), 2), 2, true).include[0]!.plan,
    ) as Record<string, unknown>;
    const carrying = (predicted: unknown) => decodeShardPlan(JSON.stringify({ ...plan, predicted }));
    expect(carrying([{ id: 'BAC-1', paths: ['src/a\nb'], because: {} }])).toBeUndefined();
    expect(carrying([{ id: '../x', because: {} }])).toBeUndefined();
    expect(carrying([{ id: 'BAC-1', dependsOn: [7], because: {} }])).toBeUndefined();
    expect(carrying('BAC-1')).toBeUndefined();
    expect(carrying([])?.predicted).toEqual([]);
  });

  it("carries what the prediction used, for the report's cost, and only as tokens of a model", () => {
    const spent = {
      model: 'claude-haiku-4-5',
      usage: { input: 900, output: 120, cacheWrite: 0, cacheRead: 0 },
    };
    const plan = planTasks(predicted);
    const shards = shardPlan(plan, 2);
    const entry = matrixFor(plan, shards, 2, true, spent).include[1]!;
    expect(decodeShardPlan(entry.plan)?.predictionSpent).toEqual(spent);
    // Not without a prediction.
    expect(decodeShardPlan(matrixFor(plan, shards, 2, false, spent).include[0]!.plan)).not.toHaveProperty(
      'predictionSpent',
    );
    const carrying = (predictionSpent: unknown) =>
      decodeShardPlan(JSON.stringify({ ...(JSON.parse(entry.plan) as object), predictionSpent }));
    expect(carrying({ ...spent, usage: { ...spent.usage, input: -1 } })).toBeUndefined();
    expect(carrying({ ...spent, usage: { ...spent.usage, output: 1e300 } })).toBeUndefined();
    expect(carrying({ ...spent, model: 'a b' })).toBeUndefined();
  });
});
