import type { PredictedEntry, PredictionAsk } from '../model/predict-request.js';
import { controlIn, quote } from './fields.js';
import { isRef } from './refs.js';
import type { Task } from './task.js';

/** A predicted glob longer than this is not a narrow one. */
const MAX_GLOB_CHARS = 200;

/** The tasks with what the prediction filled in, and what was left out of it and why. */
export interface AppliedPrediction {
  tasks: Task[];
  notes: string[];
  /** Tasks given predicted paths, and predicted dependencies kept. */
  pathsPredicted: number;
  dependenciesPredicted: number;
}

/**
 * Fills in each asked field from the prediction's entry for its task; what the user wrote is never touched. The
 * entries are the model's and untrusted: an id must be a task of the run, a glob a narrow one inside the repository,
 * and a dependency that would close a cycle (with the user's dependencies or the ones kept before it, in task order)
 * is dropped. Each thing left out gets a note.
 */
export function applyPrediction(
  asks: readonly PredictionAsk[],
  entries: readonly PredictedEntry[],
): AppliedPrediction {
  const ids = new Set(asks.map((a) => a.task.id));
  const notes: string[] = [];
  const byId = new Map<string, PredictedEntry>();
  const strangers: string[] = [];
  for (const entry of entries) {
    if (!ids.has(entry.id)) strangers.push(entry.id);
    else if (!byId.has(entry.id)) byId.set(entry.id, entry);
  }
  if (strangers.length) {
    notes.push(
      `The prediction answered for ${list(strangers)}, not tasks of this run; those answers are ignored`,
    );
  }

  const graph = new DependencyGraph(asks.map((a) => a.task));
  let pathsPredicted = 0;
  let dependenciesPredicted = 0;
  const tasks = asks.map(({ task, paths, dependsOn }) => {
    const entry = byId.get(task.id);
    if (!entry) return task;
    const predicted: NonNullable<Task['predicted']> = {};
    const next: Task = { ...task };
    if (paths) {
      const globs = predictedGlobs(task.id, entry.paths, notes);
      if (globs.length) {
        next.paths = globs;
        predicted.paths = entry.pathsReason || 'no reason given';
        pathsPredicted += 1;
      }
    }
    if (dependsOn) {
      const kept = predictedDependencies(task.id, entry.dependsOn, ids, notes).filter((id) =>
        graph.tryAdd(task.id, id, notes),
      );
      if (kept.length) {
        next.dependsOn = kept;
        predicted.dependsOn = entry.dependsOnReason || 'no reason given';
        dependenciesPredicted += kept.length;
      }
    }
    return predicted.paths || predicted.dependsOn ? { ...next, predicted } : task;
  });
  return { tasks, notes, pathsPredicted, dependenciesPredicted };
}

/** The predicted globs that name files narrowly; a note names the others. */
function predictedGlobs(task: string, globs: readonly string[], notes: string[]): string[] {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const raw of globs) {
    const glob = narrowGlob(raw);
    if (glob === undefined) dropped.push(raw);
    else if (!kept.includes(glob)) kept.push(glob);
  }
  if (dropped.length) {
    notes.push(
      `${task}: predicted paths ${list(dropped)} left out, as a prediction names files inside the repository, narrowly`,
    );
  }
  return kept;
}

/**
 * The glob as a task's `paths` would hold it, or undefined when it may not stand as a prediction: empty, long, with
 * a control character, negated, reaching outside the repository (`..`), or covering all of it (`**`, `*`, `**\/*`),
 * which would make the task wait for every other one.
 */
function narrowGlob(raw: string): string | undefined {
  const glob = raw.trim().replace(/^(\.\/|\/)+/, '');
  if (!glob || glob.length > MAX_GLOB_CHARS || controlIn(glob) || glob.startsWith('!')) return undefined;
  const segments = glob.split('/');
  if (segments.includes('..')) return undefined;
  if (segments.every((s) => s === '' || /^\*+$/.test(s))) return undefined;
  return glob;
}

/** The predicted ids that are other tasks of the run, in order and without repeats; a note names the others. */
function predictedDependencies(
  task: string,
  dependsOn: readonly string[],
  ids: ReadonlySet<string>,
  notes: string[],
): string[] {
  const kept: string[] = [];
  const strangers: string[] = [];
  for (const id of dependsOn) {
    if (id === task) notes.push(`${task}: a predicted dependency on itself is left out`);
    else if (!isRef(id) || !ids.has(id)) strangers.push(id);
    else if (!kept.includes(id)) kept.push(id);
  }
  if (strangers.length) {
    notes.push(
      `${task}: predicted dependencies on ${list(strangers)} left out, as they are not tasks of this run`,
    );
  }
  return kept;
}

/** The dependencies so far, user's and predicted, to tell whether one more would close a cycle. */
class DependencyGraph {
  private readonly deps = new Map<string, string[]>();

  constructor(tasks: readonly Task[]) {
    for (const task of tasks) this.deps.set(task.id, [...task.dependsOn]);
  }

  /** Adds `task` depends on `on` unless that closes a cycle, which a note then names. */
  tryAdd(task: string, on: string, notes: string[]): boolean {
    const back = this.path(on, task);
    if (back) {
      notes.push(
        `${task}: a predicted dependency on ${on} is left out, as it would close the cycle ${[task, ...back].join(' → ')}`,
      );
      return false;
    }
    this.deps.get(task)?.push(on);
    return true;
  }

  /** A chain of dependencies from `from` to `to`, both included, or undefined when there is none. */
  private path(from: string, to: string): string[] | undefined {
    const cameFrom = new Map<string, string | null>([[from, null]]);
    const queue = [from];
    for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
      if (at === to) {
        const chain: string[] = [];
        for (let id: string | null | undefined = at; id; id = cameFrom.get(id)) chain.push(id);
        return chain.reverse();
      }
      for (const next of this.deps.get(at) ?? []) {
        if (cameFrom.has(next)) continue;
        cameFrom.set(next, at);
        queue.push(next);
      }
    }
    return undefined;
  }
}

/** Up to five values as a message shows them, and how many more. */
function list(values: readonly string[]): string {
  const shown = values.slice(0, 5).map(quote).join(', ');
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}
