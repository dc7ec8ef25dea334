import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import type { RunEvent } from './events.js';
import { failureReason, runOutputs } from './outputs.js';
import { mergeRecords, type MergedRun, type RunRecord } from './report/merge.js';
import { readRunRecords, thisRun } from './report/records.js';
import type { RerunWays } from './report/next-steps.js';
import { renderSummary } from './report/summary.js';
import { writeRunPage, writeSummary } from './run.js';
import {
  initialRunState,
  runReducer,
  shapeOf,
  stateOfRecords,
  type RecordedRun,
  type RunState,
} from './run-state.js';
import type { Settings } from './settings.js';
import type { Plan } from './tasks/plan.js';
import { decodeShardPlan, planDifferences, shardPlanOf, type Shard } from './tasks/shards.js';
import type { TaskSet } from './tasks/task.js';

/**
 * `mode: report`: the last job of a fan-out. Reads what every shard left in `results-dir` (downloaded side by side
 * with `merge-multiple: true`), folds it into one run's state, and writes the summary and the outputs of the whole
 * workflow run from that state. Returns the state (the sticky comment renders the same one) and why the step fails,
 * if it does. `warnings` are the intake's, shown with what is wrong with the records.
 */
export async function reportFanOut(
  settings: Settings,
  set: TaskSet,
  plan: Plan,
  shards: readonly Shard[],
  {
    warnings = [],
    rerun = {},
    prediction,
  }: {
    warnings?: readonly string[];
    rerun?: RerunWays;
    /** What the plan step's prediction used: part of the fan-out's cost. */
    prediction?: RecordedRun['prediction'];
  } = {},
): Promise<{ state: RunState; failure: string | null }> {
  const merged = await mergedRun(settings, set, plan, shards);
  const runners = `${merged.shards.length} ${merged.shards.length === 1 ? 'runner' : 'runners'}`;
  const state = stateOfRecords(
    {
      results: merged.results,
      concurrency: merged.concurrency,
      source: `${set.source}, ${runners}`,
      shape: shapeOf(plan),
      warnings: [...warnings, ...merged.problems],
      ...(prediction ? { prediction } : {}),
    },
    settings.prices,
  );
  for (const [name, value] of Object.entries(runOutputs(state, settings.secrets))) {
    core.setOutput(name, value);
  }
  const summary = renderSummary(state, { model: settings.model, shards: merged.shards, rerun });
  await writeSummary(summary, settings.secrets, { overwrite: true });
  await writeFanOutPage(settings, plan);
  return { state, failure: failureReason(merged.results, settings.failOn) };
}

/** A log past this is left out of the page: each shard's log is bounded by its own run, this only guards the reader. */
const AUDIT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * One page for every shard, `run.html` in `results-dir`, from the audit logs of the shards' folders there (folders
 * found by listing, never named by a file's contents; links not followed). A page that cannot be written only warns.
 */
function writeFanOutPage(settings: Settings, plan: Plan): Promise<void> {
  return writeRunPage(
    path.join(settings.resultsDir, 'run.html'),
    () => shardLogs(settings.resultsDir),
    plan,
    settings.prices,
  );
}

async function shardLogs(resultsDir: string): Promise<string[]> {
  const logs: string[] = [];
  for (const entry of await readdir(resultsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const log = path.join(resultsDir, entry.name, 'audit.jsonl');
    const info = await lstat(log).catch(() => undefined);
    if (info?.isFile() && info.size <= AUDIT_MAX_BYTES) logs.push(await readFile(log, 'utf8'));
  }
  return logs;
}

/** Every shard's records merged, in the task list's order; what is wrong with them is in `problems`. */
async function mergedRun(
  settings: Settings,
  set: TaskSet,
  plan: Plan,
  shards: readonly Shard[],
): Promise<MergedRun> {
  const read = await readRunRecords(settings.resultsDir);
  const run = thisRun(process.env, undefined);
  const merged = mergeRecords(
    read.records,
    {
      runId: run.id,
      attempt: run.attempt,
      shards,
      titles: new Map(set.tasks.map((t) => [t.id, t.title])),
    },
    settings.model,
  );
  // In the task list's order, as a run on one runner would list them.
  const order = new Map(set.tasks.map((t, i) => [t.id, i]));
  merged.results.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  merged.problems.unshift(
    ...read.problems,
    ...read.records.flatMap(({ record }) => planProblems(record, plan, shards, settings.maxShards)),
  );
  for (const problem of merged.problems) core.warning(problem);
  core.info(
    `Merged ${merged.shards.length} of ${shards.length} shard(s): ${merged.results.length} tasks from ${settings.resultsDir}`,
  );
  return merged;
}

/** What the plan job's comment says while the shards run: the tasks queued and how many runners took them. */
export function plannedState(
  set: TaskSet,
  shards: readonly Shard[],
  settings: Settings,
  warnings: readonly string[] = [],
): RunState {
  const at = Date.now();
  const events: RunEvent[] = [
    {
      type: 'run-started',
      at,
      tasks: set.tasks.map((t) => ({ id: t.id, title: t.title, model: t.model ?? settings.model })),
      concurrency: settings.maxConcurrency * shards.length,
      source: `${set.source}, ${shards.length} ${shards.length === 1 ? 'shard' : 'shards'} running`,
    },
    ...warnings.map((message): RunEvent => ({ type: 'warning', at, message })),
  ];
  return events.reduce(runReducer(settings.prices), initialRunState());
}

/**
 * How the plan a shard's record says it ran with differs from the plan this report makes of its own inputs, in one
 * line; nothing when they agree, or for a record written before records kept their plan. The shard's results stay in.
 */
function planProblems(record: RunRecord, plan: Plan, shards: readonly Shard[], maxShards: number): string[] {
  const { shard, plan: kept } = record.run;
  if (shard === null || kept === undefined) return [];
  const ran = decodeShardPlan(kept);
  if (!ran) return [`shard ${shard}'s record holds a plan this report cannot read; its results are included`];
  const ours = shards.find((s) => s.shard === shard) ?? { shard, tasks: [], hours: 0 };
  const differences = planDifferences(shardPlanOf(plan, shards, maxShards, ours), ran);
  if (differences.length === 0) return [];
  const named = differences.map((d) => `${d.planned}, but it ran with ${d.actual}`).join('; and with ');
  return [
    `shard ${shard} was planned otherwise than this report: the plan has ${named}. Its results are included; give every job of the fan-out the same tasks, \`max-shards\` and \`overlap\``,
  ];
}
