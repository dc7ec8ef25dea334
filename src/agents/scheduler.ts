import pLimit from 'p-limit';
import type { TaskSet } from '../tasks/task.js';
import { runAgent, type AgentOptions } from './agent.js';
import type { AgentResult } from './result.js';

export type RunOptions = Omit<AgentOptions, 'task'> & { maxConcurrency: number };

/**
 * Runs one agent per task, at most `maxConcurrency` at once. One agent's failure never stops the others: every
 * task ends with a result, in the order the tasks were given.
 */
export async function runTasks(set: TaskSet, options: RunOptions): Promise<AgentResult[]> {
  const { maxConcurrency, ...agentOptions } = options;
  const limit = pLimit(maxConcurrency);
  return Promise.all(set.tasks.map((task) => limit(() => runAgent({ ...agentOptions, task }))));
}
