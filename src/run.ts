import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as core from '@actions/core';
import { createModelClient } from './model/client.js';
import { systemPrompt } from './model/prompt.js';
import type { RunStop, Usage } from './result.js';
import type { ShellSandbox } from './sandbox/sandbox.js';
import { verifyTogether } from './checks/together.js';
import { runTasks, type RunOptions } from './agents/scheduler.js';
import type { Workspace } from './git/workspace.js';
import { baseReader } from './git/base-reader.js';
import { foundationOf } from './git/foundation.js';
import { readRepositoryBrief } from './model/repository-brief.js';
import { messageOf } from './errors.js';
import { EventStream, type RunEvent } from './events.js';
import { failureReason, runOutputs } from './outputs.js';
import { togetherFailure } from './report/verification.js';
import { openAuditLog, writeResultFiles } from './report/audit.js';
import { writeBatches } from './report/write-batches.js';
import { renderRunPage } from './report/page.js';
import { parseAuditLog } from './report/page-events.js';
import { recordDir, thisRun, writeRunFile } from './report/records.js';
import { redactor } from './report/redact.js';
import { createEventFormatter, formatProgress } from './report/live-log.js';
import type { RerunWays } from './report/next-steps.js';
import { SUMMARY_MAX_BYTES, renderSummary } from './report/summary.js';
import { initialRunState, progressOf, resultsOf, runReducer, shapeOf, type RunState } from './run-state.js';
import type { Settings } from './settings.js';
import type { Plan } from './tasks/plan.js';
import type { TaskSet } from './tasks/task.js';

const PROGRESS_EVERY_MS = 5_000;
/** Longest a live-log line waits to be printed with the ones after it: far below what a reader notices. */
const LOG_BATCH_MS = 50;

/**
 * A reader of the run's events. It subscribes itself to `events` and may return work to finish once the run has
 * ended (flush a file, send a last update). A reporter that throws loses its subscription, nothing else.
 */
export type Reporter = (events: EventStream, state: () => RunState) => { close?: () => Promise<void> } | void;

/** What the run needs from outside besides its settings: the process it answers signals for, and extra readers. */
export interface RunIO {
  /** Where SIGINT/SIGTERM come from: the process, in the action. */
  signals: NodeJS.EventEmitter;
  /** More readers of the event stream (the sticky comment, a test's probe). */
  reporters?: Reporter[];
  /** What predicting the plan used (`plan: predict`): counted in the run's cost and budget. */
  prediction?: { model: string; usage: Usage };
  /** Trusted one-line warnings found before the run started (e.g. about the shell), shown in the summary. */
  warnings?: string[];
  /** Where the agents' `bash` runs; unsandboxed without it (`sandbox: none`). */
  shell?: ShellSandbox;
  /**
   * Runs once every agent has ended, before the reports are written, so that what it emits (pull requests, the merge
   * check) is in them; it reads the results from the state. Resolves to why the step fails, if it does. Not run when
   * the job was cancelled.
   */
  afterAgents?: (events: EventStream, state: () => RunState) => Promise<string | undefined>;
  /** A shard of a fan-out: the plan its own inputs make (an encoded `ShardPlan`), kept in its run record. */
  shardPlan?: string;
  /** Dependencies an earlier run finished, which this run leaves out: their dependents start from that work. */
  earlier?: RunOptions['earlier'];
  /** How a task is started again, for the summary's "What next". */
  rerun?: RerunWays;
}

/** A run under way: the one stream its facts go out on, the state they fold to, and the stop every agent heeds. */
interface LiveRun {
  settings: Settings;
  events: EventStream;
  state: () => RunState;
  stop: AbortController;
  /** Where this step's result files and audit log go. */
  folder: string;
  step: ReturnType<typeof thisRun>;
}

/** The agents, one per task, then the outputs and the job summary. Returns why the step fails, if it does. */
export async function runAgents(
  settings: Settings,
  set: TaskSet,
  plan: Plan,
  planMarkdown: string,
  /** `workspace`: the worktrees' workspace, pruned already (it knows the base commit by then). */
  io: RunIO & { workspace: Workspace },
): Promise<string | null> {
  const run = openRun(settings);
  const closers = subscribe(run, io.reporters ?? []);
  const signals = answerSignals(run, io.signals);
  try {
    run.events.emit({
      type: 'run-started',
      at: Date.now(),
      tasks: set.tasks.map((t) => ({ id: t.id, title: t.title, model: t.model ?? settings.model })),
      concurrency: settings.maxConcurrency,
      source: set.source,
      shape: shapeOf(plan),
    });
    for (const message of io.warnings ?? []) run.events.emit({ type: 'warning', at: Date.now(), message });
    if (io.prediction) run.events.emit({ type: 'plan-predicted', at: Date.now(), ...io.prediction });
    let delivered: string | undefined;
    try {
      delivered = await work(run, set, plan, io);
    } finally {
      signals.reporting();
      for (const closer of closers) {
        await closer?.close?.().catch((error: unknown) => core.warning(String(error)));
      }
    }
    await writeRecords(run, set, io.shardPlan);
    await writePage(run, plan);
    await publish(run, planMarkdown, io.rerun);
    return failureOf(run, delivered);
  } finally {
    signals.off();
  }
}

/** The event stream with the reducer as its first reader, so every other reader sees the state the event left. */
function openRun(settings: Settings): LiveRun {
  const events = new EventStream((error) =>
    core.warning(
      `A reporter failed and was dropped: ${error instanceof Error ? error.message : String(error)}`,
    ),
  );
  const reduce = runReducer(settings.prices);
  let state = initialRunState();
  events.on((event) => (state = reduce(state, event)));
  const step = thisRun(process.env, settings.shard);
  return {
    settings,
    events,
    state: () => state,
    stop: new AbortController(),
    folder: recordDir(settings.resultsDir, step),
    step,
  };
}

/** The live log, the budget, the audit log and the caller's readers, each subscribed to the run's events. */
function subscribe(run: LiveRun, reporters: Reporter[]): ReturnType<Reporter>[] {
  const readers = [
    liveLog,
    budgetKeeper(run.settings, run.stop),
    auditLog(path.join(run.folder, 'audit.jsonl'), run.settings.secrets),
    ...reporters,
  ];
  return readers.map((reader) => reader(run.events, run.state));
}

/**
 * A cancelled job or a job timeout (the runner sends SIGINT, then SIGTERM) stops every agent; their work so far is
 * committed and the reports are still written. The handlers stay until the reports are written, so no later signal
 * kills the step before they are; one that comes once every agent has ended changes no outcome.
 */
function answerSignals(
  run: LiveRun,
  signals: NodeJS.EventEmitter,
): { reporting: () => void; off: () => void } {
  let reporting = false;
  const onSignal = (name: NodeJS.Signals) => {
    if (reporting) {
      core.info(`${name} received: every agent has ended; the step ends once its reports are written`);
      return;
    }
    if (run.stop.signal.aborted) return;
    run.events.emit({
      type: 'stopping',
      at: Date.now(),
      reason: 'cancelled',
      detail: `${name} received: cancelling every agent`,
    });
    run.stop.abort('cancelled' satisfies RunStop);
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  return {
    reporting: () => void (reporting = true),
    off: () => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
    },
  };
}

/**
 * The agents, the check of their work together, and what `afterAgents` delivers, then the run's end. Resolves to
 * why the step fails whatever the agents did: the endpoint refused what no retry fixes, or delivery failed.
 */
async function work(
  run: LiveRun,
  set: TaskSet,
  plan: Plan,
  io: RunIO & { workspace: Workspace },
): Promise<string | undefined> {
  // No tool call, git call or parse may stall the agents: what the loop waited is measured and kept in the audit log.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  try {
    const refused = await runTasks(set, await taskOptions(run, set, plan, io));
    if (!run.stop.signal.aborted) await checkTogether(run, io);
    // With nothing asked of the model, there is nothing to deliver, and the refusal is the run's one failure.
    const idle = refused.length > 0 && resultsOf(run.state()).every((r) => r.turns === 0);
    const delivered =
      io.afterAgents && run.stop.signal.reason !== 'cancelled' && !idle
        ? await io
            .afterAgents(run.events, run.state)
            .catch((error: unknown) => `parallel-agents failed after the agents: ${messageOf(error)}`)
        : undefined;
    const eventLoopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    core.info(
      `Event loop held up at most ${eventLoopDelayMs.max.toFixed(0)} ms (p99 ${eventLoopDelayMs.p99.toFixed(0)} ms) during the run`,
    );
    run.events.emit({ type: 'run-ended', at: Date.now(), eventLoopDelayMs });
    return refused.length ? refused.join('; ') : delivered;
  } finally {
    loopDelay.disable();
  }
}

/** What the scheduler needs: the model client, the prompt, the limits, and the workspace's side of git. */
async function taskOptions(
  run: LiveRun,
  set: TaskSet,
  plan: Plan,
  io: RunIO & { workspace: Workspace },
): Promise<RunOptions> {
  const { settings, events } = run;
  const workspace = io.workspace;
  // What the repository tells coding agents, read once from the base: the same bytes for every agent's prompt.
  const repository = await readRepositoryBrief(baseReader(workspace.repo)).catch(() => undefined);
  return {
    plan,
    client: createModelClient({
      apiKey: settings.apiKey,
      baseUrl: settings.baseUrl,
      maxInFlight: settings.maxConcurrency,
      onThrottled: (status, waitMs, limit) =>
        events.emit({ type: 'throttled', at: Date.now(), status, waitMs, limit }),
    }),
    system: systemPrompt(set.context, settings.instructions, repository),
    model: settings.model,
    maxTurns: settings.maxTurns,
    timeoutMs: settings.timeoutMs,
    tools: settings.allowedTools,
    workspace: {
      create: (task, options) => workspace.create(task, options),
      open: (task, options) => workspace.open(task, options),
      commit: (worktree, message, options) => workspace.commit(worktree, message, options),
      stageAhead: (worktree) => workspace.stageAhead(worktree),
      push: (worktree) => workspace.push(worktree, settings.githubToken),
      remove: (worktree) => workspace.remove(worktree),
      openAhead: (task) => workspace.openAhead(task),
      dropAhead: () => workspace.dropAhead(),
    },
    events,
    homeRoot: `${settings.tempDir}/homes`,
    prices: settings.prices,
    secrets: settings.secrets,
    signal: run.stop.signal,
    maxConcurrency: settings.maxConcurrency,
    shell: io.shell,
    checks: settings.checks,
    foundation: (tips) => foundationOf(workspace.repo, tips),
    ...(io.earlier ? { earlier: io.earlier } : {}),
  };
}

/** Whether the verified branches also pass together; a failure to set the check up is reported, not fatal. */
async function checkTogether(run: LiveRun, io: RunIO & { workspace: Workspace }): Promise<void> {
  const { settings } = run;
  const together = await verifyTogether({
    repo: io.workspace.repo,
    root: io.workspace.root,
    results: resultsOf(run.state()),
    checks: settings.checks,
    shell: io.shell ?? { sandbox: 'none' },
    homeRoot: `${settings.tempDir}/homes`,
    signal: run.stop.signal,
  }).catch((error: unknown) => {
    core.warning(`The check of the merged branches could not run: ${String(error)}`);
    return undefined;
  });
  if (together) run.events.emit({ type: 'together', at: Date.now(), check: together });
}

/** Every task's result file and the step's run record, for a fan-out's report. Failing to write them only warns. */
async function writeRecords(run: LiveRun, set: TaskSet, shardPlan: string | undefined): Promise<void> {
  const { folder, settings } = run;
  let written = true;
  try {
    // Writes every file it can, then says which it could not.
    await writeResultFiles(folder, resultsOf(run.state()), settings.secrets);
  } catch (error) {
    written = false;
    core.warning(`Result files in ${folder}: ${messageOf(error)}`);
  }
  try {
    await writeRunFile(folder, {
      ...run.step,
      tasks: set.tasks.map((t) => t.id),
      // The step's own start, so that a fan-out's report can tell how long each shard waited for a runner.
      startedAt: Math.round(performance.timeOrigin),
      endedAt: Date.now(),
      concurrency: settings.maxConcurrency,
      ...(shardPlan ? { plan: shardPlan } : {}),
    });
  } catch (error) {
    written = false;
    core.warning(`The run record ${path.join(folder, 'run.json')} could not be written: ${messageOf(error)}`);
  }
  if (written) core.info(`Results and audit log: ${folder}`);
}

/**
 * The run as one HTML page beside its audit log (`run.html`), built from that log, which is already redacted. A page
 * that cannot be written only warns.
 */
function writePage(run: LiveRun, plan: Plan): Promise<void> {
  const log = path.join(run.folder, 'audit.jsonl');
  return writeRunPage(
    path.join(run.folder, 'run.html'),
    async () => [await readFile(log, 'utf8')],
    plan,
    run.settings.prices,
  );
}

/** The page of the run whose audit logs `readLogs` gives (a fan-out's: one a shard) to `file`; a failure only warns. */
export async function writeRunPage(
  file: string,
  readLogs: () => Promise<string[]>,
  plan: Plan,
  prices: Settings['prices'],
): Promise<void> {
  try {
    const events = parseAuditLog((await readLogs()).join('\n'));
    const repository = process.env['GITHUB_REPOSITORY'];
    await writeFile(file, renderRunPage({ events, plan, prices, ...(repository ? { repository } : {}) }));
  } catch (error) {
    core.warning(`The run page ${file} could not be written: ${messageOf(error)}`);
  }
}

/** The outputs and the job summary, both from the ended run's state; the plan stays, folded, under the results. */
async function publish(run: LiveRun, planMarkdown: string, rerun: RerunWays | undefined): Promise<void> {
  const { settings } = run;
  const state = run.state();
  for (const [name, value] of Object.entries(runOutputs(state, settings.secrets))) {
    core.setOutput(name, value);
  }
  const summary = renderSummary(state, { model: settings.model, ...(rerun ? { rerun } : {}) });
  const folded = `\n<details><summary>Plan</summary>\n\n${planMarkdown}\n</details>\n`;
  const fits = Buffer.byteLength(summary) + Buffer.byteLength(folded) <= SUMMARY_MAX_BYTES;
  await writeSummary(fits ? summary + folded : summary, settings.secrets, { overwrite: true });
}

/** Why the step fails: cancelled, delivery refused, agents that did not succeed, or work that fails together. */
function failureOf(run: LiveRun, delivered: string | undefined): string | null {
  const state = run.state();
  if (state.stopping?.reason === 'cancelled')
    return 'The run was cancelled; the summary and outputs cover what finished';
  const { failOn } = run.settings;
  return delivered ?? failureReason(resultsOf(state), failOn) ?? togetherFailure(state.together, failOn);
}

/**
 * Appends to (or replaces) the step's job summary, the file the runner names in `GITHUB_STEP_SUMMARY` (read on
 * every call: `core.summary` keeps the first path it saw). Outside a runner there is none to write.
 */
export async function writeSummary(
  markdown: string,
  secrets: readonly string[],
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return core.info('GITHUB_STEP_SUMMARY is not set; the summary was not written');
  // The runner masks secrets in the log only; an agent may have repeated one in its report.
  const text = redactor(secrets)(markdown);
  await (options.overwrite ? writeFile : appendFile)(file, text.endsWith('\n') ? text : `${text}\n`);
}

/** One line per event in the job log, warnings as warnings, and a progress line every few seconds. */
const liveLog: Reporter = (events, state) => {
  const format = createEventFormatter();
  const progress = () => {
    const now = state();
    return formatProgress(progressOf(now), now.unpriced ? undefined : now.spentUsd);
  };
  const ticker = setInterval(() => core.info(progress()), PROGRESS_EVERY_MS);
  ticker.unref();
  // Everything the step prints to stdout goes through the held writes, in order. Close lets the rest out; should the
  // process end before that, exit does, as far as the pipe takes it (a pipe's buffer, 64 KB on Linux).
  const batches = writeBatches(process.stdout, LOG_BATCH_MS);
  process.once('exit', batches.flush);
  const stop = events.on((event: RunEvent) => {
    const line = format(event);
    if (!line) return;
    batches.hold();
    if (event.type === 'warning' || event.type === 'stopping') core.warning(line);
    else core.info(line);
  });
  return {
    close: async () => {
      stop();
      clearInterval(ticker);
      core.info(progress());
      batches.flush();
      process.off('exit', batches.flush);
    },
  };
};

/** Stops the run once the spend the reducer counted reaches `max-cost-usd`: no agent starts, running ones stop. */
function budgetKeeper(settings: Settings, stop: AbortController): Reporter {
  return (events, state) => {
    const max = settings.maxCostUsd;
    if (max === undefined) return;
    events.on((event) => {
      if (event.type !== 'usage' || state().spentUsd < max || stop.signal.aborted) return;
      events.emit({
        type: 'stopping',
        at: Date.now(),
        reason: 'budget',
        detail: `max-cost-usd ($${max}) reached: stopping every agent`,
      });
      stop.abort('budget' satisfies RunStop);
    });
  };
}

/** Every event as a JSON line in `file`, secrets redacted. */
function auditLog(file: string, secrets: readonly string[]): Reporter {
  return (events) => {
    const log = openAuditLog(events, file, secrets);
    return {
      close: () =>
        log.close().catch((error: unknown) => {
          throw new Error(`The audit log could not be written: ${String(error)}`);
        }),
    };
  };
}
