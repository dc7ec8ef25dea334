import * as core from '@actions/core';
import { git } from './git/runner.js';
import { createModelClient } from './model/client.js';
import type { Usage } from './result.js';
import type { Settings } from './settings.js';
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
 * given otherwise. A shard follows the plan its `mode: plan` step made, so it never predicts again.
 */
export async function predictIfAsked(settings: Settings, set: TaskSet): Promise<Prediction> {
  if (settings.plan !== 'predict' || settings.shard) return { set, notes: [], warnings: [] };
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
