import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { planTasks, type Plan } from '../tasks/plan.js';
import type { Task, TaskSet } from '../tasks/task.js';
import { runAgent, type AgentOptions } from './agent.js';
import { describeError } from '../model/describe-error.js';
import type { EndpointRefusal } from '../model/refusal.js';
import { readyTasks } from './ready.js';
import { isAgentEvent, type EventStream } from '../events.js';
import { notStarted, stoppedBeforeStart, type AgentResult, type RunStop } from '../result.js';
import type { Foundation, Tip } from '../git/foundation.js';
import { FoundationBook, type EarlierTip } from './foundations.js';
import type { TaskBrief } from '../model/prompt.js';
import { readLoad, watchLoad, type LoadSample } from './load.js';

export type RunOptions = Omit<AgentOptions, 'task' | 'shellLimit'> & {
  /** Also opens worktrees ahead of their agents, and removes the ones none took (see `Workspace.openAhead`). */
  workspace: AgentOptions['workspace'] & { openAhead?(task: Task): void; dropAhead?(): Promise<void> };
  maxConcurrency: number;
  /** Shell commands running at once across every agent; the runner's core count by default. */
  maxShells?: number;
  /** The plan of `set`, when the caller has made it already. */
  plan?: Plan;
  /** Longest the other agents wait for the first agent's first reply (the prompt-cache warm-up). */
  warmUpMs?: number;
  /** How often the runner's load is read to set how many agents run at once; 0 turns that off. */
  loadIntervalMs?: number;
  /** Where the load is read from; the kernel's `/proc` by default. */
  readLoad?: () => Promise<LoadSample>;
  /** Where a task that builds on others starts (see `foundationOf`); without it, every task starts from the base. */
  foundation?: (tips: Tip[]) => Promise<Foundation | undefined>;
  /** Dependencies an earlier run finished, which this run leaves out: their tasks start from that work. */
  earlier?: readonly EarlierTip[];
};

/** The kernel's pressure figures are 10 s averages: reading them every 2 s follows them closely enough. */
const LOAD_INTERVAL_MS = 2_000;

/** A warm-up that hangs must not hold every other agent to its timeout; past this they start without it. */
const WARM_UP_MS = 30_000;

/**
 * Runs one agent per task: a task starts once its dependencies have succeeded, the tasks it stacks on (their `paths`
 * overlap its own) have ended, and one of `maxConcurrency` slots is free; it starts from their work (see
 * {@link FoundationBook}). A task whose dependency did not succeed is skipped with the reason. One agent's failure never stops the others, and every task ends with an `ended` event carrying its
 * result: the events are the only record. Resolves once every task has ended and every worktree is removed. Once
 * `signal` aborts, tasks not yet started end without starting and running agents stop.
 *
 * The first agent of each model goes alone until its first reply starts to stream: that request writes the prompt
 * cache (tools and system prompt are the same bytes for every agent; each model has a cache of its own), so every
 * other agent's first request reads it instead of writing it again. The wait also asks the endpoint once before the
 * rest: when it refuses what no retry fixes (the key, the model, a server that is not the Messages API), the tasks it
 * covers end not started with that reason, and the run resolves to each such reason, once.
 */
export function runTasks(set: TaskSet, options: RunOptions): Promise<string[]> {
  const {
    maxConcurrency,
    maxShells,
    plan: given,
    warmUpMs = WARM_UP_MS,
    loadIntervalMs = LOAD_INTERVAL_MS,
    readLoad: read = () => readLoad(),
    earlier,
    ...rest
  } = options;
  // An agent leaves its worktree's removal to finish on its own; the run is over once every removal is.
  const removals = new Set<Promise<void>>();
  const workspace = trackingRemovals(rest.workspace, removals);
  const shellLimit = pLimit(maxShells ?? os.availableParallelism());
  const agentOptions = { ...rest, workspace, shellLimit };
  const plan = given ?? planTasks(set.tasks);
  const book = new FoundationBook(plan, earlier);
  const byId = new Map(set.tasks.map((task) => [task.id, task]));
  const limit = pLimit(maxConcurrency);
  const ahead = openingAhead(rest.workspace, limit, book);
  const load =
    loadIntervalMs > 0 && maxConcurrency > 1
      ? followLoad(limit, maxConcurrency, loadIntervalMs, read, shellLimit, options.events)
      : undefined;
  const progress = noProgress();
  const modelOf = (task: Task) => task.model ?? options.model;
  const perModel = countBy(set.tasks, modelOf);
  // By model: the first agent's warm-up.
  const warm = new Map<string, WarmUp>();
  const refusals = new Refusals();
  const runOne = agentStarts(options, { agentOptions, book, ahead, warm, refusals, modelOf });
  const end = (task: Task, result: AgentResult) => {
    book.ended(task, result);
    options.events.emit({ type: 'ended', task: task.id, at: Date.now(), result });
  };

  return new Promise<string[]>((resolve) => {
    const step = () => {
      const next = readyTasks(plan, progress);
      for (const { id, reason } of next.skip) {
        progress.skipped.add(id);
        const task = byId.get(id)!;
        const model = modelOf(task);
        end(task, skippedResult(task, model, reason, options.signal, refusals.for(model)));
      }
      for (const id of next.start) {
        const task = byId.get(id)!;
        const model = modelOf(task);
        const first = !warm.has(model);
        if (first)
          warm.set(model, warmUpOf(options.events, id, perModel.get(model) ?? 0, warmUpMs, options.signal));
        // Counted as running while it waits for a slot, so no conflicting task starts in between.
        progress.running.add(id);
        ahead.queued(task);
        void limit(() => runOne(task, first))
          .catch((error: unknown) =>
            // runAgent reports every ending as a result; reaching here is a bug, still kept to this one task.
            notStarted(task, 'failed', `internal error: ${describeError(error)}`, options.model),
          )
          .then((result) => {
            end(task, result);
            progress.running.delete(id);
            const { succeeded, skipped, failed } = progress;
            (result.status === 'succeeded' ? succeeded : result.status === 'skipped' ? skipped : failed).add(
              id,
            );
            step();
          });
      }
      if (next.done) {
        load?.stop();
        void Promise.all([...removals, rest.workspace.dropAhead?.()]).then(() => resolve(refusals.causes()));
      }
    };
    step();
  });
}

/** What the agents of one run share as they start (see {@link agentStarts}). */
interface StartShared {
  agentOptions: Omit<AgentOptions, 'task' | 'model'>;
  book: FoundationBook;
  ahead: ReturnType<typeof openingAhead>;
  /** By model: the first agent's warm-up. */
  warm: Map<string, WarmUp>;
  refusals: Refusals;
  modelOf: (task: Task) => string;
}

/**
 * How one task's agent starts, once it has a slot: from the work it builds on, the first of its model at once, the
 * others after that one's warm-up, one a turn of the loop (see RELEASE); not at all once the endpoint refused its model.
 */
function agentStarts(
  options: RunOptions,
  { agentOptions, book, ahead, warm, refusals, modelOf }: StartShared,
): (task: Task, first: boolean) => Promise<AgentResult> {
  // By model: the last agent let go after the warm-up (the next goes a turn of the loop later).
  const released = new Map<string, Promise<unknown>>();
  const stopping = aborted(options.signal);
  const brief = briefOf(options);
  const onRefused = (refusal: EndpointRefusal) => refusals.note(refusal);
  const refused = (task: Task, refusal: EndpointRefusal) =>
    notStarted(task, 'skipped', `not started: ${refusal.message}`, modelOf(task));

  const startOne = async (task: Task, model: string, first: boolean): Promise<AgentResult> => {
    const start = await startingPoint(book, task, options.foundation, brief);
    if ('notStarted' in start) return notStarted(task, 'skipped', start.notStarted, model);
    const { from, built } = start;
    const warmUp = warm.get(model);
    if (first)
      return built(
        await runAgent({ ...agentOptions, ...from, task, model, onStreaming: warmUp?.release, onRefused }),
      );
    // Made while the first agent warms the cache; let go one a turn of the loop after another (see RELEASE).
    const after = (released.get(model) ?? Promise.race([warmUp?.done, stopping])).then(
      () => new Promise((resolve) => setImmediate(resolve)),
    );
    released.set(model, after);
    const gate = after.then(() => options.signal?.aborted !== true && !refusals.for(model));
    return built(await runAgent({ ...agentOptions, ...from, task, model, startGate: gate, onRefused }));
  };

  return async (task, first) => {
    ahead.starts(task);
    const model = modelOf(task);
    const refusal = refusals.for(model);
    if (refusal) return refused(task, refusal);
    const result = await startOne(task, model, first);
    // An agent the endpoint refused (or whose wait ended with a refusal) did nothing: it did not start.
    const cause = refusals.for(model);
    return cause && result.turns === 0 && result.status !== 'succeeded' ? refused(task, cause) : result;
  };
}

/**
 * RELEASE: an agent's worktree, tools and conversation are made while the first agent warms the cache, off its critical
 * path. The waiting agents go one after another, each a turn of the event loop after the one before (immediates queued
 * together would all run in one turn): replies already streaming are read in between, and the agents start the few
 * milliseconds apart that each one's first request takes this thread, so their turns do not all fall due at once.
 */

/** The result of a task that never starts: the run stopped, the endpoint refused its model, or `reason`. */
function skippedResult(
  task: Task,
  model: string,
  reason: string,
  signal: AbortSignal | undefined,
  refusal: EndpointRefusal | undefined,
): AgentResult {
  if (signal?.aborted) return stoppedBeforeStart(task, signal.reason as RunStop, model);
  return notStarted(task, 'skipped', refusal ? `not started: ${refusal.message}` : reason, model);
}

/** The first agent of a model's wait for the others, when there are others to wait. */
function warmUpOf(
  events: EventStream,
  id: string,
  agents: number,
  maxMs: number,
  signal?: AbortSignal,
): WarmUp {
  return agents > 1 ? warmUp(events, id, maxMs, signal) : { done: Promise.resolve(), release: () => {} };
}

/** What the endpoint refused, by model, or under '' for every model: the first refusal of each stands. */
class Refusals {
  private readonly byModel = new Map<string, EndpointRefusal>();

  for(model: string): EndpointRefusal | undefined {
    return this.byModel.get('') ?? this.byModel.get(model);
  }

  note(refusal: EndpointRefusal): void {
    if (!this.byModel.has(refusal.model ?? '')) this.byModel.set(refusal.model ?? '', refusal);
  }

  /** Each distinct cause, once. */
  causes(): string[] {
    return [...new Set([...this.byModel.values()].map((refusal) => refusal.message))];
  }
}

/** Which tasks have ended how, and which run: none yet. */
function noProgress() {
  const none = () => new Set<string>();
  return { succeeded: none(), failed: none(), skipped: none(), running: none() };
}

/**
 * Where a task starts: the work it builds on, merged when there is more than one piece, with what its agent is told
 * of it, and its result marked with what it built on; or why it cannot start.
 */
async function startingPoint(
  book: FoundationBook,
  task: Task,
  foundation: RunOptions['foundation'],
  brief: TaskBrief,
): Promise<
  | { notStarted: string }
  | { from: Pick<AgentOptions, 'startPoint' | 'brief'>; built: (r: AgentResult) => AgentResult }
> {
  const start = await book.startOf(task, foundation);
  if ('notStarted' in start) return start;
  const ids = start.buildsOn.map((f) => f.id);
  return {
    from: { ...start.options, brief: { ...brief, buildsOn: start.buildsOn } },
    built: (result) => (ids.length ? { ...result, buildsOn: ids } : result),
  };
}

/**
 * Worktrees opened ahead for tasks that wait for a slot, at most as many not yet taken as run at once: once its slot
 * frees, an agent finds its worktree made instead of waiting at its first tool call behind the git of the agents
 * that started with it. Only for tasks that start from the base: a dependent's start point is known once it starts.
 */
function openingAhead(workspace: RunOptions['workspace'], limit: LimitFunction, book: FoundationBook) {
  const waiting: Task[] = [];
  const opened = new Set<string>();
  const fill = () => {
    while (workspace.openAhead && opened.size < limit.concurrency && waiting.length > 0) {
      const task = waiting.shift()!;
      opened.add(task.id);
      workspace.openAhead(task);
    }
  };
  return {
    /** `task` is in line for a slot: its worktree is opened ahead when it has to wait and starts from the base. */
    queued(task: Task) {
      if (limit.activeCount + limit.pendingCount < limit.concurrency || !book.fromBase(task)) return;
      waiting.push(task);
      fill();
    },
    /** `task` has its slot. */
    starts(task: Task) {
      const at = waiting.indexOf(task);
      if (at !== -1) waiting.splice(at, 1);
      if (opened.delete(task.id)) fill();
    },
  };
}

/** What every agent is told of the run: the `verify` command, and whether it has a shell. */
function briefOf(options: RunOptions): TaskBrief {
  return {
    ...(options.checks?.verify ? { verify: options.checks.verify } : {}),
    shell: options.tools.includes('bash'),
  };
}

/** The workspace as agents use it, each worktree's removal kept in `removals` until it is over. */
function trackingRemovals(
  given: RunOptions['workspace'],
  removals: Set<Promise<void>>,
): RunOptions['workspace'] {
  return {
    create: (task, at) => given.create(task, at),
    ...(given.open ? { open: (task, at) => given.open!(task, at) } : {}),
    commit: (worktree, message, options) => given.commit(worktree, message, options),
    ...(given.stageAhead ? { stageAhead: (worktree) => given.stageAhead!(worktree) } : {}),
    push: (worktree) => given.push(worktree),
    remove: (worktree) => {
      const removal = given.remove(worktree);
      const done = removal.catch(() => undefined);
      removals.add(done);
      void done.then(() => removals.delete(done));
      return removal;
    },
  };
}

/**
 * Fewer agents at once while the runner is short of memory, or its commands wait for a CPU; back up as it recovers.
 * Each change is an event with its reason.
 */
function followLoad(
  limit: LimitFunction,
  max: number,
  intervalMs: number,
  read: () => Promise<LoadSample>,
  shellLimit: LimitFunction,
  events: EventStream,
) {
  return watchLoad({
    max,
    intervalMs,
    read,
    commandsRunning: () => shellLimit.activeCount > 0,
    onChange: ({ limit: at, reason }) => {
      limit.concurrency = at;
      events.emit({ type: 'concurrency', at: Date.now(), limit: at, reason });
    },
  });
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The wait of every other agent for the first one's first reply, and what ends it early. */
interface WarmUp {
  done: Promise<void>;
  /** The first reply has started to stream: the prompt cache holds the shared prefix, so the others may go. */
  release: () => void;
}

/**
 * Done when `release` is called (the first agent's first reply started to stream), at the task's first whole reply
 * or its end if it never streamed one, or after `maxMs` (with a warning on the stream) if the reply is that slow to
 * come. The API makes a cache entry readable once the reply that writes it begins, so waiting for its end would
 * only hold the others for its streaming time.
 */
function warmUp(events: EventStream, task: string, maxMs: number, signal?: AbortSignal): WarmUp {
  const finished = new AbortController();
  const cancel = signal ? AbortSignal.any([signal, finished.signal]) : finished.signal;
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    const stop = events.on((event) => {
      if (isAgentEvent(event) && event.task === task && (event.type === 'turn' || event.type === 'ended')) {
        finish();
      }
    });
    const finish = () => {
      stop();
      finished.abort();
      resolve();
    };
    release = finish;
    sleep(maxMs, undefined, { signal: cancel }).then(() => {
      events.emit({
        type: 'warning',
        at: Date.now(),
        message: `The first agent's first request (it warms the prompt cache) got no reply in ${maxMs / 1000} s; the other agents start without waiting for it`,
      });
      finish();
    }, finish);
  });
  return { done, release: () => release() };
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
}
