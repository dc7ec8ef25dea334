import type Anthropic from '@anthropic-ai/sdk';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { describeError } from '../model/describe-error.js';
import { parsePrediction, predictionRequest, type PredictionAsk } from '../model/predict-request.js';
import { noUsage, usageOf, type Usage } from '../result.js';
import { applyPrediction } from './apply-prediction.js';
import type { Task } from './task.js';

/** A small model is enough to read task texts against a file list, and its cost next to the agents' is noise. */
export const DEFAULT_PREDICTION_MODEL = 'claude-haiku-4-5';
/** Longest the one call may take; the run waits for it before anything starts. */
const DEFAULT_TIMEOUT_MS = 180_000;

export interface PredictOptions {
  /** The run's model client. */
  client: Anthropic;
  /** Default {@link DEFAULT_PREDICTION_MODEL}. */
  model?: string;
  /** The repository's files, as `git ls-files` lists them; the first 2,000 are sent. */
  files: readonly string[];
  /** Stops the call with the run. */
  signal?: AbortSignal;
  /** Default three minutes. */
  timeoutMs?: number;
}

/** What a predicted plan gives: the tasks to plan with, and what the call cost and said. */
export interface PlanPrediction {
  /**
   * The tasks in the order given, each with predicted `paths` and `dependsOn` only where the user wrote none, and
   * those marked in `predicted`; as written when the call failed.
   */
  tasks: Task[];
  /** The model asked, for the price of {@link usage}. */
  model: string;
  /** What the call used, to count in the run's cost and budget; none when no call was made. */
  usage: Usage;
  /** For the log: what was predicted, and what of the prediction was left out and why. */
  notes: string[];
  /** For the log and the summary: the call failed or its reply was unusable, so the tasks run as written. */
  warnings: string[];
}

/**
 * Predicts, in one call to a small model, the files each task will touch and what it builds on, for tasks that give
 * no `paths` or no `depends on`: with the prediction, `planTasks` stacks tasks that touch the same files and orders
 * those that build on each other. Never throws for the model's sake: a failed call or a reply that is not the JSON
 * asked for leaves the tasks as written, with a warning. No call is made for fewer than two tasks or when every
 * task gives both fields.
 */
export async function predictPlan(tasks: readonly Task[], options: PredictOptions): Promise<PlanPrediction> {
  const model = options.model ?? DEFAULT_PREDICTION_MODEL;
  const asks: PredictionAsk[] = tasks.map((task) => ({
    task,
    paths: task.paths.length === 0,
    dependsOn: task.dependsOn.length === 0,
  }));
  const asIs = { tasks: [...tasks], model, usage: noUsage(), notes: [], warnings: [] };
  if (tasks.length < 2 || !asks.some((a) => a.paths || a.dependsOn)) return asIs;

  let reply: Message;
  try {
    reply = await options.client.messages.create(predictionRequest(asks, options.files, model), {
      signal: options.signal,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch (error) {
    return { ...asIs, warnings: [`The plan's prediction failed (${describeError(error)}); ${AS_WRITTEN}`] };
  }
  const usage = usageOf(reply);
  const entries = parsePrediction(textOf(reply));
  if (!entries) {
    const why =
      reply.stop_reason === 'max_tokens' ? 'was cut off at its token limit' : 'was not the JSON asked for';
    return { ...asIs, usage, warnings: [`The plan's prediction ${why}; ${AS_WRITTEN}`] };
  }
  const applied = applyPrediction(asks, entries);
  const summary =
    `The plan's prediction (${model}) gave paths to ${count(applied.pathsPredicted, 'task')} and ` +
    `${count(applied.dependenciesPredicted, 'dependency', 'dependencies')}`;
  return { tasks: applied.tasks, model, usage, notes: [summary, ...applied.notes], warnings: [] };
}

const AS_WRITTEN = 'the tasks run as written';

function textOf(message: Message): string {
  return message.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('')
    .trim();
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
