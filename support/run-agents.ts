/**
 * The agents of a run, in process, against a loopback model server: what the scheduler, fault, cache and
 * rate-limit tests and the benchmark all need, with everything they do not vary set once here.
 */
import path from 'node:path';
import { createModelClient } from '../src/model/client.js';
import { EventStream } from '../src/events.js';
import { systemPrompt } from '../src/model/prompt.js';
import type { AgentResult } from '../src/result.js';
import { runTasks, type RunOptions } from '../src/agents/scheduler.js';
import { Workspace } from '../src/git/workspace.js';
import type { ToolName } from '../src/settings.js';
import type { Task } from '../src/tasks/task.js';
import { makeRepo, tempDir } from './git-repo.js';

/** A task with nothing but an id and a title, unless `fields` says more. */
export function taskOf(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: '', dependsOn: [], paths: [], ...fields };
}

export interface AgentsOptions {
  /** Shared context, in the system prompt of every agent. */
  context?: string;
  /** The repository the worktrees come from; a one-file repository by default. */
  repo?: string;
  /** Where the worktrees go; a new temporary directory by default. */
  root?: string;
  maxConcurrency?: number;
  maxTurns?: number;
  timeoutMs?: number;
  tools?: ToolName[];
  maxShells?: number;
  events?: EventStream;
  /** Reads the runner's load for the scheduler, every `loadIntervalMs`. */
  load?: Pick<RunOptions, 'readLoad' | 'loadIntervalMs'>;
  onThrottled?: () => void;
}

export async function runAgentsAgainst(
  serverUrl: string,
  tasks: Task[],
  options: AgentsOptions = {},
): Promise<AgentResult[]> {
  const maxConcurrency = options.maxConcurrency ?? tasks.length;
  const context = options.context ?? '';
  const repo = options.repo ?? makeRepo({ 'README.md': '# A repository\n' });
  const run: RunOptions = {
    client: createModelClient({
      apiKey: 'loopback-key',
      baseUrl: serverUrl,
      maxInFlight: maxConcurrency,
      onThrottled: options.onThrottled,
    }),
    system: systemPrompt(context, ''),
    model: 'claude-sonnet-4-6',
    maxTurns: options.maxTurns ?? 10,
    timeoutMs: options.timeoutMs ?? 60_000,
    tools: options.tools ?? ['read', 'write', 'edit', 'glob', 'grep'],
    workspace: new Workspace({ repo, root: options.root ?? path.join(tempDir(), 'worktrees') }),
    events: options.events ?? new EventStream(),
    maxConcurrency,
    ...(options.maxShells ? { maxShells: options.maxShells } : {}),
    ...options.load,
  };
  // The results as the run's readers get them: from the `ended` events, in the order the tasks were given.
  const ended = new Map<string, AgentResult>();
  run.events.on((event) => {
    if (event.type === 'ended') ended.set(event.task, event.result);
  });
  await runTasks({ context, tasks, source: 'a loopback run' }, run);
  return tasks.map((task) => ended.get(task.id)!);
}
