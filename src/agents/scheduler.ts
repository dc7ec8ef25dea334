import pLimit from 'p-limit';
import type { TaskSet } from '../tasks/task.js';
import { runAgent, type AgentOptions } from './agent.js';
import type { EventStream } from './events.js';
import { notStarted, type AgentResult, type RunStop } from './result.js';

export type RunOptions = Omit<AgentOptions, 'task'> & { maxConcurrency: number };

/**
 * Runs one agent per task, at most `maxConcurrency` at once. One agent's failure never stops the others: every
 * task ends with a result, in the order the tasks were given. Once `signal` aborts, queued tasks end without
 * starting and running agents stop.
 *
 * The first agent goes alone until its first reply: that request writes the prompt cache (tools and system prompt
 * are the same bytes for every agent), so every other agent's first request reads it instead of writing it again.
 */
export async function runTasks(set: TaskSet, options: RunOptions): Promise<AgentResult[]> {
  const { maxConcurrency, ...agentOptions } = options;
  const limit = pLimit(maxConcurrency);
  const first = set.tasks[0];
  const warm = first && set.tasks.length > 1 ? firstReply(options.events, first.id) : Promise.resolve();
  return Promise.all(
    set.tasks.map((task) =>
      limit(async () => {
        if (task !== first) await Promise.race([warm, aborted(options.signal)]);
        if (options.signal?.aborted) {
          return stoppedBeforeStart(task, options.signal.reason as RunStop, task.model ?? options.model);
        }
        return runAgent({ ...agentOptions, task, model: task.model ?? options.model });
      }),
    ),
  );
}

/** Resolves at the task's first model reply, or at its end if it never got one. */
function firstReply(events: EventStream, task: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = events.on((event) => {
      if (event.task === task && (event.type === 'turn' || event.type === 'ended')) {
        stop();
        resolve();
      }
    });
  });
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
}

function stoppedBeforeStart(task: { id: string; title: string }, stop: RunStop, model: string): AgentResult {
  return stop === 'budget'
    ? notStarted(task, 'budget', "not started: the run's max-cost-usd was reached", model)
    : notStarted(task, 'cancelled', 'the run was cancelled before it started', model);
}
