import { planTasks } from '../../src/tasks/plan.js';
import { MAX_SHARDS, matrixFor, shardPlan } from '../../src/tasks/shards.js';
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
