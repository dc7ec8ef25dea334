import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../support/git-repo.js';
import { notStarted, type AgentResult } from '../../src/result.js';
import { MAX_RUN_TASKS, readRunRecords, writeRunFile } from '../../src/report/records.js';
import type { RecordRun } from '../../src/report/merge.js';

const T0 = Date.UTC(2026, 11, 1, 12);
/** What no record may carry into a message: it stands for whatever else is on the runner. */
const SECRET = 'ghs_recordsTestSecretValue0123456789';

function run(tasks: string[], shard: string | null = '1'): RecordRun {
  return { id: '42', attempt: 1, shard, tasks, startedAt: T0, endedAt: T0 + 10_000, concurrency: 2 };
}

function result(id: string): AgentResult {
  return {
    ...notStarted({ id, title: `Task ${id}` }, 'failed', 'no model', 'claude-sonnet-4-6'),
    status: 'succeeded',
    startedAt: T0 + 1_000,
    endedAt: T0 + 9_000,
    seconds: 8,
    report: `Did ${id}.`,
  };
}

/** A results folder with one run folder holding `files` (name → content, objects written as JSON). */
function resultsDir(files: Record<string, unknown>, folder = 'run-42-1-shard-1'): string {
  const root = tempDir('pa-records-');
  fs.mkdirSync(path.join(root, folder), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    fs.writeFileSync(path.join(root, folder, name), text);
  }
  return root;
}

const runFile = (tasks: string[]) => ({ version: 1, run: run(tasks) });

describe('reading what the shards left in results-dir', () => {
  it('reads the records writeRunFile and the per-task files make', async () => {
    const root = resultsDir({ 'BAC-1.json': result('BAC-1'), 'BAC-2.json': result('BAC-2') });
    await writeRunFile(path.join(root, 'run-42-1-shard-1'), run(['BAC-1', 'BAC-2']));
    const read = await readRunRecords(root);
    expect(read.problems).toEqual([]);
    expect(read.records).toHaveLength(1);
    expect(read.records[0]!.file).toBe('run-42-1-shard-1');
    expect(read.records[0]!.record.results.map((r) => [r.id, r.report])).toEqual([
      ['BAC-1', 'Did BAC-1.'],
      ['BAC-2', 'Did BAC-2.'],
    ]);
  });

  it('reads no file named by a task id that is a path', async () => {
    const root = resultsDir({ 'run.json': runFile(['BAC-1', '../../outside']) });
    fs.writeFileSync(path.join(path.dirname(root), 'outside.json'), JSON.stringify({ id: SECRET }));
    const read = await readRunRecords(root);
    expect(read.records).toEqual([]);
    expect(read.problems).toEqual([
      'run-42-1-shard-1/run.json could not be read: not a run file (run.tasks[1]: is not a task id (like BAC-124))',
    ]);
  });

  it('says a file is not JSON without quoting it', async () => {
    const root = resultsDir({ 'run.json': runFile(['BAC-1']), 'BAC-1.json': `${SECRET} and more` });
    const read = await readRunRecords(root);
    expect(read.problems).toEqual(['run-42-1-shard-1/BAC-1.json could not be read: not JSON']);
    expect(read.records[0]!.record.results).toEqual([]);
  });

  it('names each malformed record and skips it, keeping the others', async () => {
    const root = resultsDir({
      'run.json': runFile(['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4', 'BAC-5', 'BAC-6']),
      'BAC-1.json': null,
      'BAC-2.json': { id: 'BAC-2' },
      'BAC-3.json': { ...result('BAC-3'), turns: 'many' },
      'BAC-4.json': { ...result('BAC-4'), status: 'won' },
      'BAC-5.json': result('BAC-1'),
      'BAC-6.json': { ...result('BAC-6'), extra: SECRET },
    });
    const read = await readRunRecords(root);
    const at = (id: string) => `run-42-1-shard-1/${id}.json could not be read: not a task result`;
    expect(read.problems).toEqual([
      `${at('BAC-1')} (the file: expected object)`,
      `${at('BAC-2')} (title: expected string)`,
      `${at('BAC-3')} (turns: expected number)`,
      expect.stringMatching(new RegExp(`^${at('BAC-4')} \\(status: Invalid option`)),
      `${at('BAC-5')} (id: names another task)`,
    ]);
    expect(read.records[0]!.record.results.map((r) => r.id)).toEqual(['BAC-6']);
    expect(JSON.stringify(read.records)).not.toContain(SECRET);
  });

  it.each([
    ['null', null, 'the file: expected object'],
    ['no run', { version: 1 }, 'run: expected object'],
    ['another version', { version: 2, run: run(['BAC-1']) }, 'version: Invalid input: expected 1'],
    [
      'a shard that is no number',
      { version: 1, run: run(['BAC-1'], '../x') },
      'run.shard: is not a shard number',
    ],
    [
      'tasks that are no list',
      { version: 1, run: { ...run([]), tasks: 'BAC-1' } },
      'run.tasks: expected array',
    ],
  ])('names a run file with %s and leaves its folder out', async (_, content, why) => {
    const read = await readRunRecords(resultsDir({ 'run.json': content }));
    expect(read.records).toEqual([]);
    expect(read.problems).toEqual([`run-42-1-shard-1/run.json could not be read: not a run file (${why})`]);
  });

  it.each([
    [MAX_RUN_TASKS + 1, `not a run file (run.tasks: lists more than ${MAX_RUN_TASKS} tasks)`],
    [200_000, 'larger than the 1 MiB a record may take'],
  ])('refuses a run file listing %i tasks, without a line for each', async (count, why) => {
    const ids = Array.from({ length: count }, (_, i) => `BAC-${i + 1}`);
    const read = await readRunRecords(resultsDir({ 'run.json': runFile(ids) }));
    expect(read.records).toEqual([]);
    expect(read.problems).toEqual([`run-42-1-shard-1/run.json could not be read: ${why}`]);
  });

  it('names the first problems and counts the rest', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `BAC-${i + 1}`);
    const read = await readRunRecords(resultsDir({ 'run.json': runFile(ids) }));
    expect(read.problems).toHaveLength(20);
    expect(read.problems[0]).toBe('run-42-1-shard-1/BAC-1.json could not be read: no such file');
    expect(read.problems.at(-1)).toBe('… and 481 more problems with the records, not listed');
  });

  it('follows no symbolic link, to a file or to a folder', async () => {
    const outside = tempDir('pa-outside-');
    fs.writeFileSync(path.join(outside, 'BAC-1.json'), JSON.stringify(result('BAC-1')));
    fs.writeFileSync(path.join(outside, 'run.json'), JSON.stringify(runFile(['BAC-1'])));
    const root = resultsDir({ 'run.json': runFile(['BAC-1']) });
    fs.symlinkSync(path.join(outside, 'BAC-1.json'), path.join(root, 'run-42-1-shard-1', 'BAC-1.json'));
    fs.symlinkSync(outside, path.join(root, 'elsewhere'));
    const read = await readRunRecords(root);
    expect(read.records.map((r) => r.file)).toEqual(['run-42-1-shard-1']);
    expect(read.records[0]!.record.results).toEqual([]);
    expect(read.problems).toEqual([
      'run-42-1-shard-1/BAC-1.json could not be read: a symbolic link, which is not followed',
    ]);
  });

  it('says when results-dir is not a folder', async () => {
    const file = path.join(tempDir('pa-records-'), 'results');
    fs.writeFileSync(file, '');
    expect(await readRunRecords(file)).toEqual({
      records: [],
      problems: [`${file} could not be read: not a directory`],
    });
  });
});
