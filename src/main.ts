import * as core from '@actions/core';
import { EventStream } from './agents/events.js';
import { systemPrompt } from './agents/prompt.js';
import { watchBudget } from './agents/budget.js';
import { createModelClient } from './agents/client.js';
import { priceOf } from './agents/pricing.js';
import type { RunStop } from './agents/result.js';
import { runTasks } from './agents/scheduler.js';
import { Workspace } from './agents/workspace.js';
import { InputError } from './errors.js';
import { failureReason, runOutputs } from './outputs.js';
import { createEventFormatter, formatProgress, initialProgress, progressReducer } from './report/live-log.js';
import { renderSummary } from './report/summary.js';
import { computeTiming } from './report/timing.js';
import { readSettings } from './settings.js';
import { parseMarkdownTasks } from './tasks/markdown.js';

const PROGRESS_EVERY_MS = 5_000;

/** Settings → tasks → agents → reports. Errors in the user's input end the step with one line. */
export async function run(): Promise<void> {
  try {
    const settings = readSettings(core.getInput, process.env, core.setSecret);
    const set = parseMarkdownTasks(settings.tasks, 'input `tasks`');
    core.info(
      `parallel-agents: ${set.tasks.length} task(s) from input \`tasks\`: ${set.tasks.map((t) => t.id).join(', ')}`,
    );

    const events = new EventStream();
    let progress = initialProgress(set.tasks.length);
    const formatEvent = createEventFormatter();
    events.on((event) => {
      progress = progressReducer(progress, event);
      const line = formatEvent(event);
      if (line) core.info(line);
    });
    const ticker = setInterval(() => core.info(formatProgress(progress)), PROGRESS_EVERY_MS);
    ticker.unref();

    const client = createModelClient({
      apiKey: settings.apiKey,
      baseUrl: settings.baseUrl,
      maxInFlight: settings.maxConcurrency,
      onThrottled: (status, wait, limit) =>
        core.info(
          `[model] HTTP ${status}: holding new requests ${(wait / 1000).toFixed(1)} s; ${limit} at once`,
        ),
    });
    const workspace = new Workspace({ repo: settings.workspace, root: `${settings.tempDir}/worktrees` });
    // A worktree left registered by an earlier run on this runner would block its branch.
    await workspace.prune();
    const warnings: string[] = [];
    if (settings.allowedTools.includes('bash')) {
      const credentials = await workspace.persistedCredentials();
      if (credentials.length) {
        warnings.push(
          `The agents' shell can read a credential persisted in .git/config (${credentials.join(', ')}). ` +
            'Check out with `persist-credentials: false`; the action pushes with `github-token` on its own.',
        );
      }
      warnings.push(
        'The `bash` tool is enabled. Its environment is an allowlist with no tokens, but it runs without a sandbox.',
      );
      for (const w of warnings) core.warning(w);
    }
    // A cancelled job or a job timeout: the runner sends SIGINT, then SIGTERM. Agents stop, their work so far is
    // committed, and the reports below are still written.
    const cancel = new AbortController();
    const onSignal = (name: string) => () => {
      core.warning(`${name} received: cancelling every agent`);
      cancel.abort('cancelled' satisfies RunStop);
    };
    process.once('SIGINT', onSignal('SIGINT'));
    process.once('SIGTERM', onSignal('SIGTERM'));

    if (settings.maxCostUsd !== undefined && !priceOf(settings.model, settings.prices)) {
      throw new InputError(
        `needs a price for the model "${settings.model}", and none is known`,
        'input `max-cost-usd`',
        `Give its price in \`pricing\`, e.g. {"${settings.model}":{"input":3,"output":15}}`,
      );
    }
    watchBudget(events, {
      maxUsd: settings.maxCostUsd,
      prices: settings.prices,
      defaultModel: settings.model,
      onSpent: () => {
        core.warning(`max-cost-usd ($${settings.maxCostUsd}) reached: stopping every agent`);
        cancel.abort('budget' satisfies RunStop);
      },
    });

    let results;
    try {
      results = await runTasks(set, {
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
        signal: cancel.signal,
        maxConcurrency: settings.maxConcurrency,
      });
    } finally {
      clearInterval(ticker);
    }
    core.info(formatProgress(progress));

    const timing = computeTiming(results, { concurrency: settings.maxConcurrency });
    for (const [name, value] of Object.entries(runOutputs(results, timing))) core.setOutput(name, value);

    const failure = failureReason(results, settings.failOn);
    const markdown = renderSummary({
      results,
      timing,
      concurrency: settings.maxConcurrency,
      model: settings.model,
      tasksSource: 'input `tasks`',
      warnings,
    });
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    else core.info('GITHUB_STEP_SUMMARY is not set; the summary was not written');

    if (cancel.signal.aborted)
      core.setFailed('The run was cancelled; the summary and outputs cover what finished');
    else if (failure) core.setFailed(failure);
  } catch (error) {
    if (error instanceof InputError) {
      core.setFailed(error.message);
      return;
    }
    if (error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(
      `parallel-agents failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
