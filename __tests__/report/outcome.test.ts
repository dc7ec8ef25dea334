import { noUsage, notStarted, type AgentResult } from '../../src/result.js';
import { outcomeOf, pushedWork, readOutcomeRecord, renderOutcomeRecord } from '../../src/report/outcome.js';
import { earlierWorkFor, selectNotSucceeded } from '../../src/tasks/rerun.js';
import type { Task, TaskSet } from '../../src/tasks/task.js';

const ended = (id: string, status: AgentResult['status']): AgentResult => ({
  ...notStarted({ id, title: id }, 'skipped', '', 'm'),
  status,
  usage: noUsage(),
});

describe('the outcome record', () => {
  it('reads back what it wrote, the last record of a comment winning', () => {
    const first = renderOutcomeRecord({ 'BAC-1': { status: 'failed' } });
    const second = renderOutcomeRecord(outcomeOf([ended('BAC-1', 'succeeded'), ended('BAC-2', 'timeout')]));
    expect(second).toBe(
      '<!-- parallel-agents:outcome {"BAC-1":{"status":"succeeded"},"BAC-2":{"status":"timeout"}} -->',
    );
    expect(readOutcomeRecord(`<!-- parallel-agents -->\n${first}\ntable\n${second}\n`)).toEqual({
      'BAC-1': { status: 'succeeded' },
      'BAC-2': { status: 'timeout' },
    });
  });

  it('records the pushed branch and the pull request of each task, and not a branch that stayed on the runner', () => {
    const pushed = {
      ...ended('BAC-1', 'succeeded'),
      branch: 'parallel-agents/bac-1-x',
      commit: 'a'.repeat(40),
      pushed: true,
      pullRequest: { number: 12, url: 'https://github.com/o/r/pull/12' },
    };
    const local = {
      ...ended('BAC-2', 'succeeded'),
      branch: 'parallel-agents/bac-2-y',
      commit: 'b'.repeat(40),
    };
    const outcome = outcomeOf([pushed, local]);
    expect(outcome).toEqual({
      'BAC-1': { status: 'succeeded', branch: 'parallel-agents/bac-1-x', pr: 12 },
      'BAC-2': { status: 'succeeded' },
    });
    expect(readOutcomeRecord(renderOutcomeRecord(outcome))).toEqual(outcome);
    expect(pushedWork(outcome, 'BAC-1')).toBe('parallel-agents/bac-1-x');
    expect(pushedWork(outcome, 'BAC-2')).toBeUndefined();
    expect(
      pushedWork({ 'BAC-3': { status: 'failed', branch: 'parallel-agents/bac-3' } }, 'BAC-3'),
    ).toBeUndefined();
  });

  it('carries the tasks this run left out from the record before it', () => {
    expect(
      outcomeOf([ended('BAC-2', 'succeeded')], {
        'BAC-1': { status: 'succeeded', pr: 4 },
        'BAC-2': { status: 'failed' },
      }),
    ).toEqual({ 'BAC-1': { status: 'succeeded', pr: 4 }, 'BAC-2': { status: 'succeeded' } });
  });

  it('reads no record from a comment without one, or with one that is not JSON, and keeps only ids, status words, branch names and numbers', () => {
    expect(readOutcomeRecord('just a comment')).toBeUndefined();
    expect(readOutcomeRecord('<!-- parallel-agents:outcome {not json} -->')).toBeUndefined();
    // The record's first form, a bare status word per task, still reads.
    expect(
      readOutcomeRecord('<!-- parallel-agents:outcome {"BAC-1":"succeeded","x y":"succeeded","BAC-2":7} -->'),
    ).toEqual({ 'BAC-1': { status: 'succeeded' } });
    const forged = JSON.stringify({
      'BAC-1': { status: 'succeeded', branch: '../../etc', pr: -3 },
      'BAC-2': { status: 'succeeded', branch: 'main --force', pr: 1.5 },
      'BAC-3': { status: 'Succeeded!' },
    });
    expect(readOutcomeRecord(`<!-- parallel-agents:outcome ${forged} -->`)).toEqual({
      'BAC-1': { status: 'succeeded' },
      'BAC-2': { status: 'succeeded' },
    });
  });

  it('keeps only the statuses when branches and numbers would make the record too long for the comment', () => {
    const many = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [
        `BAC-${i + 1}`,
        {
          status: 'succeeded',
          branch: `parallel-agents/bac-${i + 1}-a-long-title-for-the-branch-name`,
          pr: i + 1,
        },
      ]),
    );
    const record = renderOutcomeRecord(many);
    expect(record.length).toBeLessThan(20_000);
    expect(readOutcomeRecord(record)?.['BAC-400']).toEqual({ status: 'succeeded' });
  });
});

describe('earlierWorkFor', () => {
  const task = (id: string, dependsOn: string[] = []): Task => ({
    id,
    title: `T ${id}`,
    prompt: '',
    dependsOn,
    paths: [],
  });
  const all: TaskSet = {
    context: '',
    source: 'issue #7',
    tasks: [task('BAC-1'), task('BAC-2'), task('BAC-3', ['BAC-1', 'BAC-2']), task('BAC-4', ['BAC-3'])],
  };
  const branches: Record<string, string> = {
    'BAC-1': 'parallel-agents/bac-1',
    'BAC-3': 'parallel-agents/bac-3',
  };

  it('names the left-out dependencies with a pushed branch, and neither those this run takes nor those with none', () => {
    const selected = { ...all, tasks: [all.tasks[2]!, all.tasks[3]!] };
    expect(earlierWorkFor(all, selected, (id) => branches[id])).toEqual([
      { task: 'BAC-3', on: 'BAC-1', title: 'T BAC-1', branch: 'parallel-agents/bac-1' },
    ]);
    const alone = { ...all, tasks: [all.tasks[3]!] };
    expect(earlierWorkFor(all, alone, (id) => branches[id])).toEqual([
      { task: 'BAC-4', on: 'BAC-3', title: 'T BAC-3', branch: 'parallel-agents/bac-3' },
    ]);
    expect(earlierWorkFor(all, all, (id) => branches[id])).toEqual([]);
  });
});

describe('selectNotSucceeded', () => {
  const task = (id: string, dependsOn: string[] = []): Task => ({
    id,
    title: id,
    prompt: '',
    dependsOn,
    paths: [],
  });
  const set: TaskSet = {
    context: '',
    source: 'issue #7',
    tasks: [task('BAC-1'), task('BAC-2', ['BAC-1']), task('BAC-3', ['BAC-2']), task('BAC-4')],
  };

  it('keeps the tasks that did not succeed or were not in the last run, and takes a succeeded dependency as done', () => {
    const { set: rerun, notes } = selectNotSucceeded(
      set,
      { 'BAC-1': { status: 'succeeded' }, 'BAC-2': { status: 'failed' }, 'BAC-3': { status: 'skipped' } },
      '#7',
    );
    expect(rerun.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['BAC-2', []],
      ['BAC-3', ['BAC-2']],
      ['BAC-4', []],
    ]);
    expect(notes).toEqual(['only: failed: BAC-1 succeeded in the last run on #7 and is left out']);
  });

  it('runs every task, saying why, when there is no record or nothing succeeded', () => {
    expect(selectNotSucceeded(set, undefined, '#7')).toEqual({
      set,
      notes: ['only: failed: no earlier run is recorded on #7, so every task runs'],
    });
    expect(selectNotSucceeded(set, { 'BAC-1': { status: 'failed' } }, '#7').set).toBe(set);
  });
});
