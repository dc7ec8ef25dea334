import { noUsage, notStarted, type AgentResult } from '../../src/result.js';
import { outcomeOf, readOutcomeRecord, renderOutcomeRecord } from '../../src/report/outcome.js';
import { selectNotSucceeded } from '../../src/tasks/rerun.js';
import type { Task, TaskSet } from '../../src/tasks/task.js';

const ended = (id: string, status: AgentResult['status']): AgentResult => ({
  ...notStarted({ id, title: id }, 'skipped', '', 'm'),
  status,
  usage: noUsage(),
});

describe('the outcome record', () => {
  it('reads back what it wrote, the last record of a comment winning', () => {
    const first = renderOutcomeRecord({ 'BAC-1': 'failed' });
    const second = renderOutcomeRecord(outcomeOf([ended('BAC-1', 'succeeded'), ended('BAC-2', 'timeout')]));
    expect(second).toBe('<!-- parallel-agents:outcome {"BAC-1":"succeeded","BAC-2":"timeout"} -->');
    expect(readOutcomeRecord(`<!-- parallel-agents -->\n${first}\ntable\n${second}\n`)).toEqual({
      'BAC-1': 'succeeded',
      'BAC-2': 'timeout',
    });
  });

  it('carries the tasks this run left out from the record before it', () => {
    expect(outcomeOf([ended('BAC-2', 'succeeded')], { 'BAC-1': 'succeeded', 'BAC-2': 'failed' })).toEqual({
      'BAC-1': 'succeeded',
      'BAC-2': 'succeeded',
    });
  });

  it('reads no record from a comment without one, or with one that is not JSON, and keeps only ids and status words', () => {
    expect(readOutcomeRecord('just a comment')).toBeUndefined();
    expect(readOutcomeRecord('<!-- parallel-agents:outcome {not json} -->')).toBeUndefined();
    expect(
      readOutcomeRecord('<!-- parallel-agents:outcome {"BAC-1":"succeeded","x y":"succeeded","BAC-2":7} -->'),
    ).toEqual({ 'BAC-1': 'succeeded' });
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
      { 'BAC-1': 'succeeded', 'BAC-2': 'failed', 'BAC-3': 'skipped' },
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
    expect(selectNotSucceeded(set, { 'BAC-1': 'failed' }, '#7').set).toBe(set);
  });
});
