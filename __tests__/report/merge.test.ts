import { notStarted, type AgentResult } from '../../src/result.js';
import { mergeRecords, type RunRecord } from '../../src/report/merge.js';

const T0 = Date.UTC(2026, 11, 1, 12);

function result(id: string, startedAt: number, seconds: number, status: AgentResult['status'] = 'succeeded') {
  return {
    ...notStarted({ id, title: `Task ${id}` }, 'skipped', '', 'claude-sonnet-4-6'),
    status,
    startedAt,
    endedAt: startedAt + seconds * 1000,
    seconds,
    error: undefined,
  } satisfies AgentResult;
}

function record(shard: string, startedAt: number, results: AgentResult[], run = { id: '42', attempt: 1 }) {
  return {
    file: `run-${run.id}-${run.attempt}-shard-${shard}.json`,
    record: {
      version: 1,
      run: {
        ...run,
        shard,
        tasks: results.map((r) => r.id),
        startedAt,
        endedAt: Math.max(...results.map((r) => r.endedAt)) + 500,
        concurrency: 2,
      },
      results,
    } satisfies RunRecord,
  };
}

const shards = [
  { shard: '1', tasks: ['A-1', 'A-2'] },
  { shard: '2', tasks: ['A-3', 'A-4'] },
  { shard: '3', tasks: ['A-5'] },
];
const titles = new Map(shards.flatMap((s) => s.tasks.map((id) => [id, `Task ${id}`] as const)));
const expected = { runId: '42', attempt: 1, shards, titles };

describe('merging the shards of one fan-out', () => {
  it('puts every task in plan order and times each shard against the first', () => {
    const merged = mergeRecords(
      [
        record('2', T0 + 4_000, [result('A-3', T0 + 5_000, 10), result('A-4', T0 + 5_000, 12)]),
        record('1', T0, [result('A-1', T0 + 1_000, 10), result('A-2', T0 + 1_000, 20, 'failed')]),
        record('3', T0 + 9_000, [result('A-5', T0 + 10_000, 5)]),
      ],
      expected,
      'claude-sonnet-4-6',
    );
    expect(merged.results.map((r) => [r.id, r.status])).toEqual([
      ['A-1', 'succeeded'],
      ['A-2', 'failed'],
      ['A-3', 'succeeded'],
      ['A-4', 'succeeded'],
      ['A-5', 'succeeded'],
    ]);
    expect(merged.shards.map((s) => [s.shard, s.queueSeconds, s.wallSeconds])).toEqual([
      ['1', 0, 21.5],
      ['2', 4, 13.5],
      ['3', 9, 6.5],
    ]);
    expect(merged.concurrency).toBe(6);
    expect(merged.problems).toEqual([]);
    expect(merged.missingShards).toEqual([]);
  });

  it('names a missing shard and makes its tasks missing, never dropping them', () => {
    const merged = mergeRecords(
      [
        record('1', T0, [result('A-1', T0, 1), result('A-2', T0, 1)]),
        record('3', T0, [result('A-5', T0, 1)]),
      ],
      expected,
      'claude-sonnet-4-6',
    );
    expect(merged.missingShards).toEqual(['2']);
    expect(merged.results.filter((r) => r.status === 'missing')).toEqual([
      expect.objectContaining({
        id: 'A-3',
        title: 'Task A-3',
        error: 'no result: shard 2 did not report it',
      }),
      expect.objectContaining({
        id: 'A-4',
        title: 'Task A-4',
        error: 'no result: shard 2 did not report it',
      }),
    ]);
    expect(merged.problems).toEqual([
      'shard 2 left no results (A-3, A-4): did its job fail before uploading them?',
    ]);
  });

  it('counts a task reported twice once, and leaves out results of another run or attempt', () => {
    const merged = mergeRecords(
      [
        record('1', T0, [result('A-1', T0, 1), result('A-2', T0, 1)]),
        record('2', T0, [result('A-3', T0, 1), result('A-4', T0, 1), result('A-1', T0, 7)]),
        record('3', T0, [result('A-5', T0, 1)], { id: '42', attempt: 2 }),
        record('3', T0, [result('A-5', T0, 1)], { id: '41', attempt: 1 }),
      ],
      expected,
      'claude-sonnet-4-6',
    );
    expect(merged.results.find((r) => r.id === 'A-1')!.seconds).toBe(1);
    expect(merged.results.find((r) => r.id === 'A-5')!.status).toBe('missing');
    expect(merged.problems).toEqual([
      'run-42-2-shard-3.json is from run 42 attempt 2, not this run (42 attempt 1): left out',
      'run-41-1-shard-3.json is from run 41 attempt 1, not this run (42 attempt 1): left out',
      'A-1 was reported by more than one shard (again in run-42-1-shard-2.json); counted once',
      'shard 3 left no results (A-5): did its job fail before uploading them?',
    ]);
  });

  it('names a task that is not in the plan', () => {
    const merged = mergeRecords(
      [record('1', T0, [result('A-1', T0, 1), result('A-2', T0, 1), result('Z-9', T0, 1)])],
      { ...expected, shards: [shards[0]!] },
      'claude-sonnet-4-6',
    );
    expect(merged.problems).toEqual(['Z-9 was reported but is not in the plan: left out']);
    expect(merged.results).toHaveLength(2);
  });

  it('names the first 19 problems and counts the rest, so hostile records cannot fill the summary', () => {
    const foreign = Array.from({ length: 1_000 }, (_, i) => result(`Z-${i + 1}`, T0, 1));
    const merged = mergeRecords(
      [record('1', T0, [result('A-1', T0, 1), result('A-2', T0, 1), ...foreign])],
      { ...expected, shards: [shards[0]!] },
      'claude-sonnet-4-6',
    );
    expect(merged.problems).toHaveLength(20);
    expect(merged.problems[18]).toBe('Z-19 was reported but is not in the plan: left out');
    expect(merged.problems[19]).toBe('… and 981 more problems with the records, not listed');
  });
});
