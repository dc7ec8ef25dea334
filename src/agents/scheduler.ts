import pLimit from 'p-limit';
import type { TaskSet } from '../tasks/task.js';
import { runAgent, type AgentOptions } from './agent.js';
import { notStarted, type AgentResult, type RunStop } from './result.js';

export type RunOptions = Omit<AgentOptions, 'task'> & { maxConcurrency: number };

/**
 * Runs one agent per task, at most `maxConcurrency` at once. One agent's failure never stops the others: every
 * task ends with a result, in the order the tasks were given. Once `signal` aborts, queued tasks end `cancelled`
 * without starting and running agents stop.
 */
export async function runTasks(set: TaskSet, options: RunOptions): Promise<AgentResult[]> {
  const { maxConcurrency, ...agentOptions } = options;
  const limit = pLimit(maxConcurrency);
  return Promise.all(
    set.tasks.map((task) =>
      limit(() =>
        options.signal?.aborted
          ? stoppedBeforeStart(task, options.signal.reason as RunStop, options.model)
          : runAgent({ ...agentOptions, task }),
      ),
    ),
  );
}

function stoppedBeforeStart(task: { id: string; title: string }, stop: RunStop, model: string): AgentResult {
  return stop === 'budget'
    ? notStarted(task, 'budget', "not started: the run's max-cost-usd was reached", model)
    : notStarted(task, 'cancelled', 'the run was cancelled before it started', model);
}
