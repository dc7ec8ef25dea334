import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { InputError } from './errors.js';
import { readRunContext } from './github/context.js';
import { readIssueBody } from './github/issue-source.js';
import { renderPlan } from './report/plan.js';
import { runAgents, writeSummary } from './run.js';
import { readSettings, type Settings } from './settings.js';
import { readTaskSet } from './tasks/intake.js';
import { LinearApiError } from './tasks/linear.js';
import { matrixFor, planTasks, shardPlan, type Plan, type Shard } from './tasks/plan.js';
import type { TaskSet } from './tasks/task.js';

/** Settings → tasks → plan → agents → reports. A mistake in the input ends the step with one line. */
export async function run(): Promise<void> {
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
    // Shown while the agents work; the results take its place at the end.
    const planMarkdown = renderPlan(runPlan);
    await writeSummary(`## parallel-agents: ${runSet.tasks.length} agents at work\n\n${planMarkdown}`);
    const failure = await runAgents(settings, runSet, runPlan, planMarkdown);
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
