import * as core from '@actions/core';
import { InputError } from './errors.js';
import { git } from './git/runner.js';
import { createModelClient } from './model/client.js';
import type { Usage } from './result.js';
import type { Settings } from './settings.js';
import { applyCarriedPrediction } from './tasks/carried-prediction.js';
import { decodeShardPlan } from './tasks/shards.js';
import { readRunRecords } from './report/records.js';
import type { TaskSet } from './tasks/task.js';

/** The tasks to plan with, what predicting them said, and what it used (counted in the run's cost). */
export interface Prediction {
  set: TaskSet;
  notes: string[];
  warnings: string[];
  spent?: { model: string; usage: Usage };
}

/**
 * With `plan: predict`, the tasks with `paths` and `depends on` filled in by a small model where they give none; as
 * given otherwise. A shard follows the plan its `mode: plan` step made: it takes the prediction its `shard-plan`
 * carries and never asks the model again, so the call's cost is the plan step's alone.
 */
export async function predictIfAsked(settings: Settings, set: TaskSet): Promise<Prediction> {
  if (settings.plan !== 'predict') return { set, notes: [], warnings: [] };
  if (settings.shard) return carriedTo(settings.shard, settings.shardPlan, set);
  if (settings.mode === 'report') return reportedBy(settings.resultsDir, set);
  // Loaded only when asked: the prediction's schema library stays off every other run's start.
  const { predictPlan } = await import('./tasks/predict.js');
  const files = await git(settings.workspace, ['ls-files', '-z'])
    .then((out) => out.split('\0').filter(Boolean))
    .catch(() => []);
  const client = createModelClient({ apiKey: settings.apiKey, baseUrl: settings.baseUrl, maxInFlight: 1 });
  const prediction = await predictPlan(set.tasks, { client, files });
  for (const note of prediction.notes) core.info(note);
  const used = prediction.usage.input + prediction.usage.output > 0;
  return {
    set: { ...set, tasks: prediction.tasks },
    notes: prediction.notes,
    warnings: prediction.warnings,
    ...(used ? { spent: { model: prediction.model, usage: prediction.usage } } : {}),
  };
}

/** The shard's tasks with the prediction its plan step made, from `shard-plan`; refused when it carries none. */
function carriedTo(shard: number, shardPlan: string | undefined, set: TaskSet): Prediction {
  const decoded = shardPlan === undefined ? undefined : decodeShardPlan(shardPlan);
  // A `shard-plan` that is not a plan at all is refused as such when the shard is checked against it.
  if (shardPlan !== undefined && !decoded) return { set, notes: [], warnings: [] };
  const carried = decoded?.predicted;
  if (!carried) {
    throw new InputError(
      shardPlan === undefined
        ? 'needs the prediction of the plan step, and no `shard-plan` is given'
        : 'needs the prediction of the plan step, and `shard-plan` carries none',
      `input \`plan\` (shard ${shard})`,
      'Give the plan step (`mode: plan`) `plan: predict` too and pass each shard `shard-plan: ${{ matrix.plan }}`, or leave `plan` out of every job of the fan-out',
    );
  }
  const note = `Planned with the prediction of the plan step, for ${carried.length} ${carried.length === 1 ? 'task' : 'tasks'}`;
  core.info(note);
  return { set: { ...set, tasks: applyCarriedPrediction(set.tasks, carried) }, notes: [note], warnings: [] };
}

/**
 * The tasks with the prediction the shards ran with, read from the plan their records keep: the report plans as they
 * did, without a call of its own. With no such record, the tasks as written and a warning.
 */
async function reportedBy(resultsDir: string, set: TaskSet): Promise<Prediction> {
  const { records } = await readRunRecords(resultsDir);
  for (const { record } of records) {
    const plan = record.run.plan === undefined ? undefined : decodeShardPlan(record.run.plan);
    if (plan?.predicted) {
      const tasks = applyCarriedPrediction(set.tasks, plan.predicted);
      // Its cost, counted here once: the shards ran with the prediction and did not pay for it.
      const spent = plan.predictionSpent ? { spent: plan.predictionSpent } : {};
      return { set: { ...set, tasks }, notes: [], warnings: [], ...spent };
    }
  }
  const warning =
    "No shard's record carries the plan's prediction, so this report plans the tasks as written";
  return { set, notes: [], warnings: [warning] };
}
