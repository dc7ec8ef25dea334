import { controlIn } from './fields.js';
import { isRef } from './refs.js';
import type { Task } from './task.js';

/**
 * What a predicted plan filled in for one task, with the model's reasons: the plan step of a fan-out carries these in
 * every shard's plan, so each shard plans with the same prediction and none asks the model again.
 */
export interface CarriedPrediction {
  id: string;
  paths?: string[];
  dependsOn?: string[];
  because: NonNullable<Task['predicted']>;
}

/** Bounds on what a shard takes from its `shard-plan`: the prediction's own, with room. */
const MAX_ENTRIES = 1_000;
const MAX_ITEMS = 20;
const MAX_GLOB_CHARS = 200;
const MAX_REASON_CHARS = 400;

/** What was predicted of `tasks`, in their order: the predicted fields only, never what the user wrote. */
export function carriedPrediction(tasks: readonly Task[]): CarriedPrediction[] {
  return tasks.flatMap(({ id, paths, dependsOn, predicted }) => {
    if (!predicted) return [];
    return [
      {
        id,
        ...(predicted.paths ? { paths } : {}),
        ...(predicted.dependsOn ? { dependsOn } : {}),
        because: predicted,
      },
    ];
  });
}

/**
 * `tasks` with the carried prediction filled in where it predicted a field the task leaves empty, marked as
 * predicted; what the user wrote wins, as it did in the plan step. Entries for tasks not in `tasks` are ignored.
 */
export function applyCarriedPrediction(
  tasks: readonly Task[],
  carried: readonly CarriedPrediction[],
): Task[] {
  const byId = new Map(carried.map((entry) => [entry.id, entry]));
  return tasks.map((task) => {
    const entry = byId.get(task.id);
    if (!entry) return task;
    const next: Task = { ...task };
    const predicted: NonNullable<Task['predicted']> = {};
    if (entry.paths?.length && entry.because.paths && task.paths.length === 0) {
      next.paths = [...entry.paths];
      predicted.paths = entry.because.paths;
    }
    if (entry.dependsOn?.length && entry.because.dependsOn && task.dependsOn.length === 0) {
      next.dependsOn = [...entry.dependsOn];
      predicted.dependsOn = entry.because.dependsOn;
    }
    return predicted.paths || predicted.dependsOn ? { ...next, predicted } : task;
  });
}

/** A carried prediction read from a decoded `shard-plan`, or undefined when `value` is not one. */
export function readCarriedPrediction(value: unknown): CarriedPrediction[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) return undefined;
  const entries: CarriedPrediction[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { id, paths, dependsOn, because } = item as Record<string, unknown>;
    const reasons = (because ?? {}) as Record<string, unknown>;
    if (
      typeof id !== 'string' ||
      !isRef(id) ||
      !optionalList(paths, (glob) => glob.length <= MAX_GLOB_CHARS && !controlIn(glob)) ||
      !optionalList(dependsOn, isRef) ||
      typeof because !== 'object' ||
      !optionalReason(reasons['paths']) ||
      !optionalReason(reasons['dependsOn'])
    ) {
      return undefined;
    }
    entries.push({
      id,
      ...(paths ? { paths: paths as string[] } : {}),
      ...(dependsOn ? { dependsOn: dependsOn as string[] } : {}),
      because: {
        ...(reasons['paths'] ? { paths: reasons['paths'] as string } : {}),
        ...(reasons['dependsOn'] ? { dependsOn: reasons['dependsOn'] as string } : {}),
      },
    });
  }
  return entries;
}

function optionalList(value: unknown, fits: (item: string) => boolean): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) &&
      value.length <= MAX_ITEMS &&
      value.every((item) => typeof item === 'string' && item !== '' && fits(item)))
  );
}

function optionalReason(value: unknown): boolean {
  return (
    value === undefined ||
    (typeof value === 'string' && value.length <= MAX_REASON_CHARS && !controlIn(value))
  );
}
