import * as core from '@actions/core';
import { watchBudget } from './agents/budget.js';
import { createModelClient } from './agents/client.js';
import { EventStream } from './events.js';
import { priceOf } from './agents/pricing.js';
import { systemPrompt } from './agents/prompt.js';
import type { RunStop } from './agents/result.js';
import { runTasks } from './agents/scheduler.js';
import { Workspace } from './agents/workspace.js';
import { InputError } from './errors.js';
import { failureReason, runOutputs } from './outputs.js';
import { openAuditLog, writeResultFiles } from './report/audit.js';
import { createEventFormatter, formatProgress } from './report/live-log.js';
import { initialRunState, progressOf, runReducer } from './run-state.js';
import { SUMMARY_MAX_BYTES, renderSummary } from './report/summary.js';
import { computeTiming } from './report/timing.js';
import type { Settings } from './settings.js';
import type { Plan } from './tasks/plan.js';
import type { TaskSet } from './tasks/task.js';

const PROGRESS_EVERY_MS = 5_000;

/** The agents, one per task, then the outputs and the job summary. Returns why the step fails, if it does. */
export async function runAgents(
  settings: Settings,
  set: TaskSet,
  plan: Plan,
  planMarkdown: string,
): Promise<string | null> {
  checkBudgetPrices(settings, set);

  const events = new EventStream();
  const suffix = settings.shard ? `-shard-${settings.shard}` : '';
  const audit = openAuditLog(events, `${settings.resultsDir}/audit${suffix}.jsonl`, settings.secrets);
  const reduce = runReducer(settings.prices);
  let state = initialRunState();
  const formatEvent = createEventFormatter();
  events.emit({
    type: 'run-started',
    at: Date.now(),
    tasks: set.tasks.map((t) => ({ id: t.id, title: t.title, model: t.model ?? settings.model })),
    concurrency: settings.maxConcurrency,
    source: set.source,
  });
  events.on((event) => {
    state = reduce(state, event);
    const line = formatEvent(event);
    if (line) core.info(line);
  });

  const workspace = new Workspace({ repo: settings.workspace, root: `${settings.tempDir}/worktrees` });
  // A worktree left registered by an earlier run on this runner would block its branch.
  await workspace.prune();
  const warnings = settings.allowedTools.includes('bash') ? await shellWarnings(workspace) : [];
  for (const warning of warnings) core.warning(warning);

  // A cancelled job or a job timeout (the runner sends SIGINT, then SIGTERM) and a spent budget stop every agent the
  // same way: their work so far is committed, and the reports below are still written.
  const stop = new AbortController();
  const onSignal = (name: string) => () => {
    core.warning(`${name} received: cancelling every agent`);
    stop.abort('cancelled' satisfies RunStop);
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));
  watchBudget(events, {
    maxUsd: settings.maxCostUsd,
    prices: settings.prices,
    defaultModel: settings.model,
    onSpent: () => {
      core.warning(`max-cost-usd ($${settings.maxCostUsd}) reached: stopping every agent`);
      stop.abort('budget' satisfies RunStop);
    },
  });

  const client = createModelClient({
    apiKey: settings.apiKey,
    baseUrl: settings.baseUrl,
    maxInFlight: settings.maxConcurrency,
    onThrottled: (status, wait, limit) =>
      core.info(
        `[model] HTTP ${status}: holding new requests ${(wait / 1000).toFixed(1)} s; ${limit} at once`,
      ),
  });
  const ticker = setInterval(
    () => core.info(formatProgress(progressOf(state), state.spentUsd)),
    PROGRESS_EVERY_MS,
  );
  ticker.unref();
  const results = await runTasks(set, {
    plan,
    client,
    system: systemPrompt(set.context, settings.instructions),
    model: settings.model,
    maxTurns: settings.maxTurns,
    timeoutMs: settings.timeoutMs,
    tools: settings.allowedTools,
    workspace: {
      create: (task) => workspace.create(task),
      commit: (worktree, message) => workspace.commit(worktree, message),
      push: (worktree) => workspace.push(worktree, settings.githubToken),
      remove: (worktree) => workspace.remove(worktree),
    },
    events,
    homeRoot: `${settings.tempDir}/homes`,
    prices: settings.prices,
    signal: stop.signal,
    maxConcurrency: settings.maxConcurrency,
  }).finally(() => clearInterval(ticker));
  core.info(formatProgress(progressOf(state), state.spentUsd));
  await audit
    .close()
    .catch((error: unknown) => core.warning(`The audit log could not be written: ${String(error)}`));
  writeResultFiles(settings.resultsDir, results, settings.secrets);
  core.info(`Results and audit log: ${settings.resultsDir}`);

  const criticalPathSeconds = criticalPathAgentSeconds(plan, results);
  const timing = computeTiming(results, { concurrency: settings.maxConcurrency, criticalPathSeconds });
  for (const [name, value] of Object.entries(runOutputs(results, timing))) core.setOutput(name, value);
  const summary = renderSummary({
    results,
    timing,
    concurrency: settings.maxConcurrency,
    model: settings.model,
    tasksSource: set.source,
    warnings,
  });
  // The results replace the plan shown while the agents worked; the plan stays, folded, below them.
  const folded = `\n<details><summary>Plan</summary>\n\n${planMarkdown}\n</details>\n`;
  const fits = Buffer.byteLength(summary) + Buffer.byteLength(folded) <= SUMMARY_MAX_BYTES;
  await writeSummary(fits ? summary + folded : summary, { overwrite: true });

  if (stop.signal.reason === 'cancelled')
    return 'The run was cancelled; the summary and outputs cover what finished';
  return failureReason(results, settings.failOn);
}

/** Appends to (or replaces) the step's job summary; outside a runner there is none to write. */
export async function writeSummary(markdown: string, options: { overwrite?: boolean } = {}): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write(options);
  else core.info('GITHUB_STEP_SUMMARY is not set; the summary was not written');
}

/** A budget is only kept when every model's price is known: an unknown one would count as free. */
function checkBudgetPrices(settings: Settings, set: TaskSet): void {
  if (settings.maxCostUsd === undefined) return;
  const models = new Set([settings.model, ...set.tasks.flatMap((t) => (t.model ? [t.model] : []))]);
  for (const model of models) {
    if (priceOf(model, settings.prices)) continue;
    throw new InputError(
      `needs a price for the model "${model}", and none is known`,
      'input `max-cost-usd`',
      `Give its price in \`pricing\`, e.g. {"${model}":{"input":3,"output":15}}`,
    );
  }
}

async function shellWarnings(workspace: Workspace): Promise<string[]> {
  const warnings: string[] = [];
  const credentials = await workspace.persistedCredentials();
  if (credentials.length) {
    warnings.push(
      `The agents' shell can read a credential persisted in .git/config (${credentials.join(', ')}). ` +
        'Check out with `persist-credentials: false`; the action pushes with `github-token` on its own.',
    );
  }
  warnings.push(
    'The `bash` tool is enabled and runs without a sandbox, as the runner user. Its environment is an allowlist with ' +
      "no tokens, but a shell can still read the action process's own environment (its inputs, tokens included) " +
      'under /proc. Allow `bash` only for tasks whose text you trust.',
  );
  return warnings;
}

/** Agent time along the plan's critical path, as the agents actually took: the chain no schedule could shorten. */
function criticalPathAgentSeconds(
  plan: Plan,
  results: { id: string; seconds: number }[],
): number | undefined {
  if (plan.criticalPath.length < 2) return undefined;
  const seconds = new Map(results.map((r) => [r.id, r.seconds]));
  return plan.criticalPath.reduce((sum, id) => sum + (seconds.get(id) ?? 0), 0);
}
