import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as core from '@actions/core';
import { createModelClient } from './model/client.js';
import { systemPrompt } from './model/prompt.js';
import type { AgentResult, RunStop } from './result.js';
import type { ShellSandbox } from './sandbox/sandbox.js';
import { verifyTogether } from './checks/together.js';
import { runTasks } from './agents/scheduler.js';
import type { Workspace } from './git/workspace.js';
import { messageOf } from './errors.js';
import { EventStream, type RunEvent } from './events.js';
import { failureReason, runOutputs } from './outputs.js';
import { togetherFailure } from './report/verification.js';
import { openAuditLog, writeResultFiles } from './report/audit.js';
import { writeBatches } from './report/write-batches.js';
import { recordDir, thisRun, writeRunFile } from './report/records.js';
import { redactor } from './report/redact.js';
import { createEventFormatter, formatProgress } from './report/live-log.js';
import { SUMMARY_MAX_BYTES, renderSummary } from './report/summary.js';
import { computeTiming } from './report/timing.js';
import { initialRunState, progressOf, resultsOf, runReducer, type RunState } from './run-state.js';
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
  /** Trusted one-line warnings found before the run started (e.g. about the shell), shown in the summary. */
  warnings?: string[];
  /** Where the agents' `bash` runs; unsandboxed without it (`sandbox: none`). */
  shell?: ShellSandbox;
  /**
   * Runs once every agent has ended, before the reports are written, so that what it emits (pull requests, the merge
   * check) is in them. Resolves to why the step fails, if it does. Not run when the job was cancelled.
   */
  afterAgents?: (results: AgentResult[], events: EventStream) => Promise<string | undefined>;
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
  const events = new EventStream((error) =>
    core.warning(
      `A reporter failed and was dropped: ${error instanceof Error ? error.message : String(error)}`,
    ),
  );
  const reduce = runReducer(settings.prices);
  let state = initialRunState();
  // The reducer goes first, so every other reader sees the state the event left.
  events.on((event) => (state = reduce(state, event)));

  const thisStep = thisRun(process.env, settings.shard);
  const folder = recordDir(settings.resultsDir, thisStep);
  const readers = [
    liveLog,
    budgetKeeper(settings, () => stop),
    auditLog(path.join(folder, 'audit.jsonl'), settings.secrets),
    ...(io.reporters ?? []),
  ];
  const stop = new AbortController();
  let delivered: string | undefined;
  const closers = readers.map((reader) => reader(events, () => state));

  events.emit({
    type: 'run-started',
    at: Date.now(),
    tasks: set.tasks.map((t) => ({ id: t.id, title: t.title, model: t.model ?? settings.model })),
    concurrency: settings.maxConcurrency,
    source: set.source,
  });
  for (const message of io.warnings ?? []) events.emit({ type: 'warning', at: Date.now(), message });

  // A cancelled job or a job timeout (the runner sends SIGINT, then SIGTERM) stops every agent; their work so far is
  // committed and the reports below are still written. The handlers stay until the reports are written, so no later
  // signal kills the step before they are; one that comes once every agent has ended changes no outcome.
  let reporting = false;
  const onSignal = (name: NodeJS.Signals) => {
    if (reporting) {
      core.info(`${name} received: every agent has ended; the step ends once its reports are written`);
      return;
    }
    if (stop.signal.aborted) return;
    events.emit({
      type: 'stopping',
      at: Date.now(),
      reason: 'cancelled',
      detail: `${name} received: cancelling every agent`,
    });
    stop.abort('cancelled' satisfies RunStop);
  };
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);
  try {
    // No tool call, git call or parse may stall the agents: what the loop waited is measured and kept in the audit log.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();

    const workspace = io.workspace;
    const client = createModelClient({
      apiKey: settings.apiKey,
      baseUrl: settings.baseUrl,
      maxInFlight: settings.maxConcurrency,
      onThrottled: (status, waitMs, limit) =>
        events.emit({ type: 'throttled', at: Date.now(), status, waitMs, limit }),
    });
    try {
      await runTasks(set, {
        plan,
        client,
        system: systemPrompt(set.context, settings.instructions),
        model: settings.model,
        maxTurns: settings.maxTurns,
        timeoutMs: settings.timeoutMs,
        tools: settings.allowedTools,
        workspace: {
          create: (task) => workspace.create(task),
          open: (task) => workspace.open(task),
          commit: (worktree, message, options) => workspace.commit(worktree, message, options),
          stageAhead: (worktree) => workspace.stageAhead(worktree),
          push: (worktree) => workspace.push(worktree, settings.githubToken),
          remove: (worktree) => workspace.remove(worktree),
        },
        events,
        homeRoot: `${settings.tempDir}/homes`,
        prices: settings.prices,
        signal: stop.signal,
        maxConcurrency: settings.maxConcurrency,
        shell: io.shell,
        checks: settings.checks,
      });
      // Whether the verified branches also pass together; a failure to set the check up is reported, not fatal.
      if (!stop.signal.aborted) {
        const together = await verifyTogether({
          repo: workspace.repo,
          root: workspace.root,
          results: resultsOf(state),
          checks: settings.checks,
          shell: io.shell ?? { sandbox: 'none' },
          homeRoot: `${settings.tempDir}/homes`,
          signal: stop.signal,
        }).catch((error: unknown) => {
          core.warning(`The check of the merged branches could not run: ${String(error)}`);
          return undefined;
        });
        if (together) events.emit({ type: 'together', at: Date.now(), check: together });
      }
      if (io.afterAgents && stop.signal.reason !== 'cancelled') {
        delivered = await io
          .afterAgents(resultsOf(state), events)
          .catch((error: unknown) => `parallel-agents failed after the agents: ${messageOf(error)}`);
      }
      const eventLoopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
      core.info(
        `Event loop held up at most ${eventLoopDelayMs.max.toFixed(0)} ms (p99 ${eventLoopDelayMs.p99.toFixed(0)} ms) during the run`,
      );
      events.emit({ type: 'run-ended', at: Date.now(), eventLoopDelayMs });
    } finally {
      loopDelay.disable();
      reporting = true;
      for (const closer of closers) {
        await closer?.close?.().catch((error: unknown) => core.warning(String(error)));
      }
    }

    const results = resultsOf(state);
    // The outputs and the summary below matter more than the files: they are written whatever happens here.
    let filesWritten = true;
    try {
      // Writes every file it can, then says which it could not.
      await writeResultFiles(folder, results, settings.secrets);
    } catch (error) {
      filesWritten = false;
      core.warning(`Result files in ${folder}: ${messageOf(error)}`);
    }
    try {
      await writeRunFile(folder, {
        ...thisStep,
        tasks: set.tasks.map((t) => t.id),
        // The step's own start, so that a fan-out's report can tell how long each shard waited for a runner.
        startedAt: Math.round(performance.timeOrigin),
        endedAt: Date.now(),
        concurrency: settings.maxConcurrency,
      });
    } catch (error) {
      filesWritten = false;
      core.warning(
        `The run record ${path.join(folder, 'run.json')} could not be written: ${messageOf(error)}`,
      );
    }
    if (filesWritten) core.info(`Results and audit log: ${folder}`);

    const timing = computeTiming(results, {
      concurrency: settings.maxConcurrency,
      criticalPathSeconds: criticalPathAgentSeconds(plan, results),
      dependencies: plan.dependencies,
    });
    for (const [name, value] of Object.entries(runOutputs(results, timing, settings.secrets))) {
      core.setOutput(name, value);
    }
    const summary = renderSummary({
      results,
      timing,
      concurrency: settings.maxConcurrency,
      model: settings.model,
      tasksSource: set.source,
      warnings: state.warnings,
      together: state.together,
      // Every agent that ran may have succeeded, but if their work fails together the run is not a clean one.
      ...(state.together?.passed === false ? { status: 'partial' as const } : {}),
      mergeCheck: state.mergeCheck,
    });
    // The results replace the plan shown while the agents worked; the plan stays, folded, below them.
    const folded = `\n<details><summary>Plan</summary>\n\n${planMarkdown}\n</details>\n`;
    const fits = Buffer.byteLength(summary) + Buffer.byteLength(folded) <= SUMMARY_MAX_BYTES;
    await writeSummary(fits ? summary + folded : summary, settings.secrets, { overwrite: true });

    if (state.stopping?.reason === 'cancelled')
      return 'The run was cancelled; the summary and outputs cover what finished';
    return (
      delivered ?? failureReason(results, settings.failOn) ?? togetherFailure(state.together, settings.failOn)
    );
  } finally {
    io.signals.off('SIGINT', onSignal);
    io.signals.off('SIGTERM', onSignal);
  }
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
function budgetKeeper(settings: Settings, stop: () => AbortController): Reporter {
  return (events, state) => {
    const max = settings.maxCostUsd;
    if (max === undefined) return;
    events.on((event) => {
      if (event.type !== 'usage' || state().spentUsd < max || stop().signal.aborted) return;
      events.emit({
        type: 'stopping',
        at: Date.now(),
        reason: 'budget',
        detail: `max-cost-usd ($${max}) reached: stopping every agent`,
      });
      stop().abort('budget' satisfies RunStop);
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

/** Agent time along the plan's critical path, as the agents actually took: the chain no schedule could shorten. */
export function criticalPathAgentSeconds(
  plan: Plan,
  results: { id: string; seconds: number }[],
): number | undefined {
  if (plan.criticalPath.length < 2) return undefined;
  const seconds = new Map(results.map((r) => [r.id, r.seconds]));
  return plan.criticalPath.reduce((sum, id) => sum + (seconds.get(id) ?? 0), 0);
}
