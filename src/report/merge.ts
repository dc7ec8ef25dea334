import { notStarted, type AgentResult } from '../result.js';

/** Problems named one by one; the rest are counted, so hostile records cannot fill the summary. */
const MAX_PROBLEMS = 20;

/** Which run wrote a record: the workflow run, its attempt, and the matrix shard (null for a run without shards). */
export interface RecordRun {
  id: string;
  attempt: number;
  shard: string | null;
  /** Tasks the shard was given, in order. */
  tasks: string[];
  /** Epoch milliseconds: when the step began, and when it had written its results. */
  startedAt: number;
  endedAt: number;
  /** Agents the shard allowed at once. */
  concurrency: number;
  /** The plan the shard's own inputs made (an encoded `ShardPlan`), for the report to check against its own. */
  plan?: string;
}

/** What one `mode: run` step leaves in `results-dir` for the report step: who wrote it, and every task's result. */
export interface RunRecord {
  version: 1;
  run: RecordRun;
  results: AgentResult[];
}

/** A shard as the report shows it: its own wall time, and how long after the first shard it began. */
export interface ShardReport {
  shard: string;
  tasks: number;
  startedAt: number;
  endedAt: number;
  wallSeconds: number;
  /** Seconds between the first shard's start and this one's: time spent waiting for a runner. */
  queueSeconds: number;
  concurrency: number;
}

export interface MergedRun {
  /** One per planned task, in the plan's order; a task no shard reported is `missing`. */
  results: AgentResult[];
  shards: ShardReport[];
  /** Shards planned that left no results. */
  missingShards: string[];
  /** Each thing the reader must know about the merge (missing, duplicated, foreign results), one line each. */
  problems: string[];
  /** Agents allowed at once across every shard that reported. */
  concurrency: number;
}

/** The planned shards: their numbers and tasks, as `mode: plan` made them for the same tasks and `max-shards`. */
export type PlannedShard = { shard: string; tasks: string[] };

/**
 * Merges the records of one workflow run's shards. Records of another run or attempt are named and left out; a
 * task reported twice counts once (the first shard's) and is named; a planned task nobody reported becomes a
 * `missing` result, so it shows in every table and counts as not succeeded.
 */
export function mergeRecords(
  records: readonly { file: string; record: RunRecord }[],
  expected: {
    runId: string;
    attempt: number;
    shards: readonly PlannedShard[];
    titles: ReadonlyMap<string, string>;
  },
  model: string,
): MergedRun {
  const problems: string[] = [];
  const ours = records.filter(({ file, record }) => {
    const { id, attempt } = record.run;
    if (id === expected.runId && attempt === expected.attempt) return true;
    problems.push(
      `${file} is from run ${id} attempt ${attempt}, not this run (${expected.runId} attempt ${expected.attempt}): left out`,
    );
    return false;
  });

  const byTask = new Map<string, AgentResult>();
  const shards: ShardReport[] = [];
  const reported = new Set<string>();
  const firstStart = Math.min(...ours.map(({ record }) => record.run.startedAt));
  for (const { file, record } of ours) {
    const { run } = record;
    const shard = run.shard ?? '1';
    if (reported.has(shard)) problems.push(`${file}: shard ${shard} reported twice; its tasks count once`);
    reported.add(shard);
    shards.push({
      shard,
      tasks: record.results.length,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      wallSeconds: Math.max(0, run.endedAt - run.startedAt) / 1000,
      queueSeconds: Math.max(0, run.startedAt - firstStart) / 1000,
      concurrency: run.concurrency,
    });
    for (const result of record.results) {
      if (byTask.has(result.id)) {
        problems.push(`${result.id} was reported by more than one shard (again in ${file}); counted once`);
        continue;
      }
      byTask.set(result.id, result);
    }
  }

  const planned = expected.shards.flatMap((s) => s.tasks.map((id) => ({ id, shard: s.shard })));
  const plannedIds = new Set(planned.map((p) => p.id));
  const missingShards = expected.shards.filter((s) => !reported.has(s.shard)).map((s) => s.shard);
  for (const shard of missingShards) {
    const tasks = expected.shards.find((s) => s.shard === shard)!.tasks;
    problems.push(
      `shard ${shard} left no results (${tasks.join(', ')}): did its job fail before uploading them?`,
    );
  }
  const results = planned.map(({ id, shard }) => {
    const found = byTask.get(id);
    if (found) return found;
    const missing = notStarted(
      { id, title: expected.titles.get(id) ?? '' },
      'failed',
      `no result: shard ${shard} did not report it`,
      model,
    );
    return { ...missing, status: 'missing' as const };
  });
  for (const [id] of byTask) {
    if (!plannedIds.has(id)) problems.push(`${id} was reported but is not in the plan: left out`);
  }
  shards.sort((a, b) => Number(a.shard) - Number(b.shard));
  return {
    results,
    shards,
    missingShards,
    problems: capProblems(problems),
    concurrency: shards.reduce((sum, s) => sum + s.concurrency, 0) || 1,
  };
}

/** Each problem up to {@link MAX_PROBLEMS}, then one line that counts the rest. */
export function capProblems(problems: readonly string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return [...problems];
  const rest = problems.length - (MAX_PROBLEMS - 1);
  return [...problems.slice(0, MAX_PROBLEMS - 1), `… and ${rest} more problems with the records, not listed`];
}
