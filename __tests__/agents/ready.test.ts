import { readyTasks, type Progress } from '../../src/agents/ready.js';
import { planTasks, type Plan } from '../../src/tasks/plan.js';
import type { Task } from '../../src/tasks/task.js';

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: `Do ${id}.`, dependsOn: [], paths: [], ...fields };
}

/** A diamond: BAC-1 first, BAC-2 and BAC-3 after it, BAC-4 after both. */
const diamond = () => [
  task('BAC-1'),
  task('BAC-2', { dependsOn: ['BAC-1'] }),
  task('BAC-3', { dependsOn: ['BAC-1'] }),
  task('BAC-4', { dependsOn: ['BAC-2', 'BAC-3'] }),
];

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
        for (const { on } of plan.stacks.filter((s) => s.task === id)) {
          if (running.has(on) || !events.includes(`end ${on}`)) {
            throw new Error(`${id} started before ${on}, which it stacks on, had ended`);
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

  const overlapping = () => [
    task('BAC-1', { paths: ['src/**'] }),
    task('BAC-2', { paths: ['src/a.ts'] }),
    task('BAC-3', { paths: ['docs/**'] }),
    task('BAC-4', { paths: ['src/b.ts'] }),
  ];

  it('starts a task whose paths overlap an earlier one once that one has ended, however it ended', () => {
    const plan = planTasks(overlapping());
    expect(readyTasks(plan, progress()).start).toEqual(['BAC-1', 'BAC-3']);
    expect(readyTasks(plan, progress({ running: ['BAC-1', 'BAC-3'] })).start).toEqual([]);
    expect(readyTasks(plan, progress({ running: ['BAC-3'], succeeded: ['BAC-1'] })).start).toEqual([
      'BAC-2',
      'BAC-4',
    ]);
    const afterFailure = readyTasks(plan, progress({ failed: ['BAC-1'], succeeded: ['BAC-3'] }));
    expect(afterFailure).toEqual({ start: ['BAC-2', 'BAC-4'], skip: [], done: false });
    expect(simulate(plan, ['BAC-1']).skips).toEqual({});
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

  it('starts overlapping tasks together under overlap: parallel', () => {
    const plan = planTasks(overlapping(), { overlap: 'parallel' });
    expect(plan.stacks).toEqual([]);
    expect(readyTasks(plan, progress()).start).toEqual(['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4']);
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
