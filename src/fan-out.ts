import * as core from '@actions/core';
import type { RunEvent } from './events.js';
import { failureReason, runOutputs } from './outputs.js';
import { mergeRecords, type MergedRun } from './report/merge.js';
import { readRunRecords, thisRun } from './report/records.js';
import { renderSummary } from './report/summary.js';
import { computeTiming } from './report/timing.js';
import { criticalPathAgentSeconds, writeSummary } from './run.js';
import { initialRunState, runReducer, type RunState } from './run-state.js';
import type { Settings } from './settings.js';
import type { Plan } from './tasks/plan.js';
import type { Shard } from './tasks/shards.js';
import type { TaskSet } from './tasks/task.js';

/**
 * `mode: report`: the last job of a fan-out. Reads what every shard left in `results-dir` (downloaded side by side
 * with `merge-multiple: true`), and writes one summary and one set of outputs for the whole workflow run. Returns
 * the merged run's state (for the sticky comment) and why the step fails, if it does.
 */
export async function reportFanOut(
  settings: Settings,
  set: TaskSet,
  plan: Plan,
  shards: readonly Shard[],
): Promise<{ state: RunState; merged: MergedRun; failure: string | null }> {
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
  const problems = [...read.problems, ...merged.problems];
  for (const problem of problems) core.warning(problem);
  core.info(
    `Merged ${merged.shards.length} of ${shards.length} shard(s): ${merged.results.length} tasks from ${settings.resultsDir}`,
  );

  const timing = computeTiming(merged.results, {
    concurrency: merged.concurrency,
    criticalPathSeconds: criticalPathAgentSeconds(plan, merged.results),
    dependencies: plan.dependencies,
  });
  for (const [name, value] of Object.entries(runOutputs(merged.results, timing, settings.secrets))) {
    core.setOutput(name, value);
  }
  await writeSummary(
    renderSummary({
      results: merged.results,
      timing,
      concurrency: merged.concurrency,
      model: settings.model,
      tasksSource: `${set.source}, ${merged.shards.length} ${merged.shards.length === 1 ? 'runner' : 'runners'}`,
      warnings: problems,
      shards: merged.shards,
    }),
    settings.secrets,
    { overwrite: true },
  );
  return {
    state: stateOf(set, merged, settings),
    merged,
    failure: failureReason(merged.results, settings.failOn),
  };
}

/** The merged run as the events it would have had, folded by the same reducer every live reader uses. */
function stateOf(set: TaskSet, merged: MergedRun, settings: Settings): RunState {
  const ran = merged.results.filter((r) => r.startedAt > 0);
  const first = Math.min(...ran.map((r) => r.startedAt), Date.now());
  const last = Math.max(...ran.map((r) => r.endedAt), first);
  const events: RunEvent[] = [
    {
      type: 'run-started',
      at: first,
      tasks: merged.results.map((r) => ({ id: r.id, title: r.title, model: r.model })),
      concurrency: merged.concurrency,
      source: set.source,
    },
    ...merged.results.map((result): RunEvent => ({
      type: 'ended',
      task: result.id,
      at: result.endedAt,
      result,
    })),
    { type: 'run-ended', at: last },
  ];
  return events.reduce(runReducer(settings.prices), initialRunState());
}

/** What the plan job's comment says while the shards run: the tasks queued and how many runners took them. */
export function plannedState(set: TaskSet, shards: readonly Shard[], settings: Settings): RunState {
  return runReducer(settings.prices)(initialRunState(), {
    type: 'run-started',
    at: Date.now(),
    tasks: set.tasks.map((t) => ({ id: t.id, title: t.title, model: t.model ?? settings.model })),
    concurrency: settings.maxConcurrency * shards.length,
    source: `${set.source}, ${shards.length} ${shards.length === 1 ? 'shard' : 'shards'} running`,
  });
}
