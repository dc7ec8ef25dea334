import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { priceOf } from './agents/pricing.js';
import { Workspace } from './agents/workspace.js';
import { InputError } from './errors.js';
import { readRunContext } from './github/context.js';
import { readIssueBody } from './github/issue-source.js';
import { renderPlan } from './report/plan.js';
import { runAgents, writeSummary, type RunIO } from './run.js';
import { readSettings, type Settings } from './settings.js';
import { readTaskSet } from './tasks/intake.js';
import { LinearApiError } from './tasks/linear.js';
import { planTasks, type Plan } from './tasks/plan.js';
import { matrixFor, shardPlan, type Shard } from './tasks/shards.js';
import type { TaskSet } from './tasks/task.js';

/**
 * Settings → tasks → plan → agents → reports. Every check of the input comes before anything is written or any
 * model is called; a mistake in the input ends the step with one line.
 */
export async function run(io: RunIO = { signals: process }): Promise<void> {
  try {
    const settings = readSettings(core.getInput, process.env, core.setSecret);
    const context = readRunContext();
    const { set, notes } = await readTaskSet({
      tasks: settings.tasks,
      tasksFile: settings.tasksFile,
      workspace: settings.workspace,
      issue: () =>
        readIssueBody({
          octokit: () => (settings.githubToken ? getOctokit(settings.githubToken) : undefined),
          repo: context.repo,
          issueNumber: settings.issueNumber,
          context,
        }),
      linear: settings.linearApiKey ? { apiKey: settings.linearApiKey } : undefined,
    });
    for (const note of notes) core.info(note);

    const plan = planTasks(set.tasks);
    const shards = shardPlan(plan, settings.maxShards);
    if (settings.mode === 'plan') {
      core.setOutput('matrix', JSON.stringify(matrixFor(shards)));
      core.info(`Plan: ${set.tasks.length} tasks in ${shards.length} shard(s); no model was called`);
      await writeSummary(`## parallel-agents plan\n\n${renderPlan(plan, shards)}`);
      return;
    }

    const [runSet, runPlan] = settings.shard ? shardOf(settings, set, shards) : [set, plan];
    checkBudgetPrices(settings, runSet);
    const workspace = new Workspace({ repo: settings.workspace, root: `${settings.tempDir}/worktrees` });
    // A worktree left registered by an earlier run on this runner would block its branch.
    await workspace.prune();
    const warnings = settings.allowedTools.includes('bash') ? await shellWarnings(workspace) : [];

    // Shown while the agents work; the results take its place at the end.
    const planMarkdown = renderPlan(runPlan);
    await writeSummary(`## parallel-agents: ${runSet.tasks.length} agents at work\n\n${planMarkdown}`);
    const failure = await runAgents(settings, runSet, runPlan, planMarkdown, {
      ...io,
      warnings: [...(io.warnings ?? []), ...warnings],
    });
    if (failure) core.setFailed(failure);
  } catch (error) {
    if (error instanceof InputError || error instanceof LinearApiError) {
      core.setFailed(error.message);
      return;
    }
    if (error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(
      `parallel-agents failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The tasks of one matrix shard, as `mode: plan` numbered them for the same tasks and `max-shards`. */
function shardOf(settings: Settings, set: TaskSet, shards: Shard[]): [TaskSet, Plan] {
  const shard = shards[settings.shard! - 1];
  if (!shard) {
    throw new InputError(
      `shard ${settings.shard} does not exist: the plan has ${shards.length}`,
      'input `shard`',
      'Pass the `shard` values of the `matrix` output, with the same tasks and `max-shards` as the plan step',
    );
  }
  const ids = new Set(shard.tasks);
  const tasks = set.tasks.filter((t) => ids.has(t.id));
  core.info(`Shard ${shard.shard} of ${shards.length}: ${shard.tasks.join(', ')}`);
  return [{ ...set, tasks, source: `${set.source}, shard ${shard.shard}` }, planTasks(tasks)];
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
