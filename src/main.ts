import * as core from '@actions/core';
import { preloadModelClient } from './model/client.js';
import { costOf, priceOf } from './model/pricing.js';
import { readySandbox } from './sandbox/hosted-runner.js';
import { shellSandbox, type ShellSandbox } from './sandbox/sandbox.js';
import { UNTRUSTED_VERIFY, shellUser } from './checks/verify.js';
import { Workspace } from './git/workspace.js';
import { InputError } from './errors.js';
import { predictIfAsked } from './prediction.js';
import { earlierRows, readEarlierRuns } from './earlier-runs.js';
import { deliverWork } from './deliver/deliver.js';
import { createGitHubClient } from './github/client.js';
import { commentReporter } from './github/comment-reporter.js';
import { readEventPayload, runContextFrom, type GitHubClient, type RunContext } from './github/context.js';
import { plannedState, reportFanOut } from './fan-out.js';
import { readIssueBody } from './github/issue-source.js';
import { removeLabel } from './github/labels.js';
import { rerunWays } from './github/rerun-ways.js';
import { checkAccess, taskTextAuthor } from './github/permission.js';
import { readPreviousOutcome } from './github/previous-run.js';
import { postStickyComment } from './github/sticky-comment.js';
import {
  commentIssue,
  decideTrigger,
  forkRestriction,
  selectTasks,
  type RunTrigger,
} from './github/trigger.js';
import {
  renderComment,
  renderInputError,
  renderRefusal,
  runUrl,
  serverUrl,
  type CommentView,
} from './report/comment.js';
import type { Outcome } from './report/outcome.js';
import { renderPlan } from './report/plan.js';
import { formatCost } from './report/summary.js';
import { checkResultsDir } from './report/records.js';
import { redactor } from './report/redact.js';
import { runAgents, writeSummary, type Reporter, type RunIO } from './run.js';
import { readSettings, type Settings } from './settings.js';
import { readTaskSet } from './tasks/intake.js';
import { LinearApiError } from './tasks/linear.js';
import { planTasks, type Plan } from './tasks/plan.js';
import { selectNotSucceeded } from './tasks/rerun.js';
import {
  decodeShardPlan,
  encodeShardPlan,
  matrixFor,
  planDifferences,
  shardPlan,
  shardPlanOf,
  type Shard,
  type ShardPlan,
} from './tasks/shards.js';
import type { TaskSet } from './tasks/task.js';

/** Where the run reports to on GitHub, once the trigger is known. */
interface GitHubSide {
  octokit: () => GitHubClient | undefined;
  context: RunContext;
  trigger: RunTrigger;
  /** The issue or PR the sticky comment goes on; undefined with `comment: false` or when there is none. */
  commentOn?: number;
  link?: string;
  /** Every comment goes through this: an agent may have repeated a secret in its report. */
  redact: (text: string) => string;
}

/**
 * Settings → trigger → trust gate → tasks → plan → agents → reports. Every check of the input comes before anything
 * is written or any model is called; a mistake in the input ends the step with one line (and, when the run was
 * started from an issue, a comment saying it).
 */
export async function run(io: RunIO = { signals: process }): Promise<void> {
  let github: GitHubSide | undefined;
  try {
    const settings = readSettings(core.getInput, process.env, core.setSecret);
    // Read once: the trigger decides on the payload, the rest of the run reads its context.
    const payload = readEventPayload(process.env);
    const context = runContextFrom(process.env.GITHUB_EVENT_NAME ?? '', payload, process.env);
    const trigger = decideTrigger(context.eventName, payload, settings, process.env.GITHUB_ACTOR);
    if (!trigger.run) return core.info(`Nothing to do: ${trigger.reason}`);
    let client: GitHubClient | undefined;
    // The API root from this step's environment: `@actions/github` reads its default once, when it is loaded.
    const octokit = () =>
      (client ??= settings.githubToken
        ? createGitHubClient(settings.githubToken, context.apiUrl)
        : undefined);
    github = {
      octokit,
      context,
      trigger,
      commentOn: settings.comment ? commentIssue(trigger, settings.issueNumber) : undefined,
      link: runUrl(process.env),
      redact: redactor(settings.secrets),
    };
    try {
      await runTriggered(settings, github, io);
    } finally {
      // Whatever the outcome, so that adding the label again starts another run.
      const client = octokit();
      if (trigger.label && trigger.issue && client) {
        await removeLabel(client, context.repo, trigger.issue.number, trigger.label, core.warning);
      }
    }
  } catch (error) {
    if (error instanceof InputError || error instanceof LinearApiError) {
      await postToIssue(github, renderInputError(error.message, { runUrl: github?.link }));
      core.setFailed(error.message);
      return;
    }
    if (error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(
      `parallel-agents failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The run once its trigger is known: the trust gate, the tasks, then a plan, a report of a fan-out, or the agents. */
async function runTriggered(settings: Settings, github: GitHubSide, io: RunIO): Promise<void> {
  const trusted = await passGate(settings, github);
  if (!trusted) return;
  const intake = await readTasks(trusted.settings, github);
  if (!intake) return;
  const warnings = [...trusted.warnings, ...intake.warnings];
  if (trusted.settings.mode === 'plan') return planOnly(trusted.settings, github, intake, warnings);
  if (trusted.settings.mode === 'report') return reportOnly(trusted.settings, github, intake, warnings);
  return runWithComment(trusted.settings, github, io, intake, warnings);
}

/**
 * Who may start a run, and whose text may steer it, before a word of that text is read. Resolves to the settings the
 * run may use (without `bash` and `verify` for untrusted text) and what to warn about, or undefined when refused.
 */
async function passGate(
  settings: Settings,
  github: GitHubSide,
): Promise<{ settings: Settings; warnings: string[] } | undefined> {
  const { context, trigger, octokit } = github;
  const access = await checkAccess({
    octokit,
    repo: context.repo,
    trigger,
    required: settings.requiredPermission,
    untrustedText: settings.untrustedText,
    bash: settings.allowedTools.includes('bash'),
    textAuthor: await taskTextAuthor({
      trigger,
      readsIssue: !settings.tasks.trim() && !settings.tasksFile,
      issueNumber: settings.issueNumber,
      octokit,
      repo: context.repo,
    }),
  });
  for (const note of access.notes) core.info(note);
  if (!access.allowed) {
    const refusal = access.refusal ?? 'the trust gate refused the run';
    await postToIssue(github, renderRefusal(refusal, { runUrl: github.link }), 'refusal');
    core.setFailed(`parallel-agents did not run: ${refusal}`);
    return undefined;
  }
  const warnings: string[] = [];
  const fork = forkRestriction(trigger, settings.allowForks);
  if (fork) {
    // The fork's code may be in the checkout too: `setup` and `verify` would run it.
    const checks = { ...settings.checks, setup: '', verify: '' };
    settings = { ...settings, allowedTools: settings.allowedTools.filter((t) => t !== 'bash'), checks };
    warnings.push(fork);
  }
  if (access.dropBash) {
    settings = { ...settings, allowedTools: settings.allowedTools.filter((t) => t !== 'bash') };
    if (access.warning) warnings.push(access.warning);
    if (settings.checks.verify) {
      // The agents' changes are code that `verify` would run: a shell by another name.
      settings = { ...settings, checks: { ...settings.checks, verify: '' } };
      warnings.push(UNTRUSTED_VERIFY);
    }
  }
  return { settings, warnings };
}

/** The tasks this run takes, with its plan and matrix shards, and what the reader should know about them. */
interface Intake {
  set: TaskSet;
  plan: Plan;
  shards: Shard[];
  /** Facts about the selection (what a comment picked, what `only: failed` left out): the comment shows them. */
  notes: string[];
  /** Input that was probably meant otherwise (`**BAC-5**` is not a task): shown wherever the run is shown. */
  warnings: string[];
  /** Each task's status in the last run on the issue, carried into this run's record; read while the run starts. */
  previous: Promise<Outcome | undefined>;
  /** Every task the list gives, when this run takes only some: the others are shown and built on as they were left. */
  all?: TaskSet;
  /** What predicting the plan used (`plan: predict`), for the run's cost. */
  prediction?: RunIO['prediction'];
}

/** The tasks, as given and as selected by the trigger and `only`; undefined when nothing is left to run. */
async function readTasks(settings: Settings, github: GitHubSide): Promise<Intake | undefined> {
  const { context, trigger, octokit } = github;
  const read = await readTaskSet({
    tasks: settings.tasks,
    tasksFile: settings.tasksFile,
    workspace: settings.workspace,
    issue: () => readIssueBody({ octokit, repo: context.repo, issueNumber: settings.issueNumber, context }),
    linear: settings.linearApiKey ? { apiKey: settings.linearApiKey } : undefined,
  });
  const selected = selectTasks(read.set, trigger.selected);
  // The last run's record on the issue: what `only: failed` reads first, and what this run's record carries over,
  // read meanwhile otherwise (it rejects only for `only: failed`).
  const previous = previousRun(settings, github);
  const rerun =
    settings.only === 'failed'
      ? selectNotSucceeded(selected.set, await previous, `#${github.commentOn}`)
      : { set: selected.set, notes: [] };
  const notes = [...read.notes, ...selected.notes, ...rerun.notes];
  for (const note of notes) core.info(note);
  if (rerun.set.tasks.length === 0) {
    core.info('Nothing to do: every task succeeded in the last run');
    return undefined;
  }
  const predicted = await predictIfAsked(settings, rerun.set);
  const plan = planTasks(predicted.set.tasks, { overlap: settings.overlap });
  const shards = shardPlan(plan, settings.maxShards);
  return {
    set: predicted.set,
    ...(rerun.set.tasks.length < read.set.tasks.length ? { all: read.set } : {}),
    plan,
    shards,
    notes: [...notes, ...predicted.notes],
    warnings: [...read.warnings, ...predicted.warnings],
    previous,
    ...(predicted.spent ? { prediction: predicted.spent } : {}),
  };
}

/**
 * `mode: plan`: the matrix and the plan; the comment says the shards are on their way. No model call, but with `plan:
 * predict` the one that predicts the plan: each matrix entry carries the prediction, and its cost is this step's.
 */
async function planOnly(
  settings: Settings,
  github: GitHubSide,
  { set, plan, shards, notes, previous, prediction }: Intake,
  warnings: string[],
): Promise<void> {
  const predicted = settings.plan === 'predict';
  const matrix = matrixFor(plan, shards, settings.maxShards, predicted, prediction);
  core.setOutput('matrix', JSON.stringify(matrix));
  // A workflow guards its matrix job with this: GitHub rejects an empty matrix.
  core.setOutput('shards', String(shards.length));
  for (const warning of warnings) core.warning(warning);
  const cost = prediction ? costOf(prediction.usage, priceOf(prediction.model, settings.prices)) : 0;
  if (predicted) core.setOutput('cost-usd', cost === null ? '' : cost.toFixed(4));
  const call = predicted
    ? `the plan's prediction cost ${formatCost(cost)}, and the shards follow it without calling the model again`
    : 'no model was called';
  core.info(`Plan: ${set.tasks.length} tasks in ${shards.length} shard(s); ${call}`);
  const costLine = predicted ? `\n\nThe plan's prediction cost ${formatCost(cost)}.` : '';
  await writeSummary(`## parallel-agents plan\n\n${renderPlan(plan, shards)}${costLine}`, settings.secrets);
  const view = {
    runUrl: github.link,
    plan: renderPlan(plan, shards, 20_000),
    notes,
    previousOutcome: await previous,
  };
  await postToIssue(github, renderComment(plannedState(set, shards, settings, warnings), view));
}

/** `mode: report`: one summary, one set of outputs and one comment, all from the fan-out's merged state. */
async function reportOnly(
  settings: Settings,
  github: GitHubSide,
  { set, plan, shards, notes, previous, prediction }: Intake,
  warnings: string[],
): Promise<void> {
  for (const warning of warnings) core.warning(warning);
  const rerun = rerunWays(github.trigger, github.commentOn, settings.commentCommand);
  const report = await reportFanOut(settings, set, plan, shards, { warnings, rerun, prediction });
  const view = { runUrl: github.link, notes, previousOutcome: await previous, rerun };
  await postToIssue(github, renderComment(report.state, view));
  if (report.failure) core.setFailed(report.failure);
}

/** `mode: run`: the agents on this runner (its shard, with `shard`), the sticky comment following their events. */
async function runWithComment(
  settings: Settings,
  github: GitHubSide,
  io: RunIO,
  intake: Intake,
  warnings: string[],
): Promise<void> {
  const [set, plan, shardPlan] = settings.shard
    ? shardOf(settings, intake)
    : [intake.set, intake.plan, undefined];
  checkBudgetPrices(settings, set);
  await checkResultsDir(settings.resultsDir, settings.workspace);
  const workspace = new Workspace({
    repo: settings.workspace,
    root: `${settings.tempDir}/worktrees`,
    // To read the agents' branches on origin at the start: what the pushes may replace.
    token: settings.githubToken,
  });
  // A worktree left registered by an earlier run on this runner would block its branch: forgotten before the first
  // registration (which waits for it), but not before the first request, which needs no git beyond the check.
  workspace.prune().catch((error: unknown) => {
    if (!(error instanceof InputError)) core.warning(`git worktree prune: ${String(error)}`);
  });
  preloadModelClient();
  await workspace.check();
  const shell = await chooseShell(settings, workspace, warnings);

  // Shown while the agents work; the results take its place at the end.
  const planMarkdown = renderPlan(plan);
  await writeSummary(
    `## parallel-agents: ${set.tasks.length} agents at work\n\n${planMarkdown}`,
    settings.secrets,
  );
  const previous = await intake.previous;
  const all = settings.shard ? undefined : intake.all;
  const pullUrl = (n: number) =>
    `${serverUrl(process.env)}/${github.context.repo.owner}/${github.context.repo.repo}/pull/${n}`;
  const earlier = all
    ? await readEarlierRuns(workspace, all, set, previous, pullUrl, (w) => warnings.push(w))
    : undefined;
  const rerun = rerunWays(github.trigger, github.commentOn, settings.commentCommand);
  const comment = stickyComment(github, {
    runUrl: github.link,
    plan: renderPlan(plan, undefined, 20_000),
    notes: intake.notes,
    previousOutcome: previous,
    ...(all ? { earlier: earlierRows(all, set, previous, pullUrl) } : {}),
    rerun,
  });
  const failure = await runAgents(settings, set, plan, planMarkdown, {
    ...io,
    reporters: [...(io.reporters ?? []), ...(comment ? [comment.reporter] : [])],
    warnings: [...(io.warnings ?? []), ...warnings],
    rerun,
    ...(intake.prediction ? { prediction: intake.prediction } : {}),
    ...(shardPlan ? { shardPlan: encodeShardPlan(shardPlan) } : {}),
    ...(earlier?.tips.length ? { earlier: earlier.tips } : {}),
    shell,
    workspace,
    // Pull requests, the merge check and Linear, before the summary and the comment are written.
    afterAgents: (events, state) =>
      deliverWork(events, state, {
        settings,
        plan,
        octokit: github.octokit,
        repo: github.context.repo,
        issue: settings.issueNumber ?? github.trigger.issue?.number,
        runUrl: github.link,
        env: process.env,
        ...(earlier?.branches.length ? { earlier: earlier.branches } : {}),
      }),
  });
  const commentUrl = comment?.url();
  if (commentUrl) core.setOutput('comment-url', commentUrl);
  if (failure) core.setFailed(failure);
}

/**
 * Where `bash`, `setup` or `verify` run: before anything is written, so that with `sandbox: auto` and no working
 * bubblewrap `bash` is refused in one line. Adds to `warnings` what the reader should know about the shell.
 */
async function chooseShell(
  settings: Settings,
  workspace: Workspace,
  warnings: string[],
): Promise<ShellSandbox | undefined> {
  const needsShell = shellUser(settings.allowedTools, settings.checks);
  if (!needsShell) return undefined;
  const probe = settings.sandbox === 'none' ? undefined : await readySandbox({ log: core.info });
  const chosen = shellSandbox(
    settings.sandbox,
    settings.shellNetwork,
    probe,
    needsShell,
    settings.shellLimits,
  );
  if (chosen.warning) warnings.push(chosen.warning);
  // In the sandbox, git reads a copy of the config without credentials.
  if (chosen.shell.sandbox === 'none') warnings.push(...(await credentialWarnings(workspace)));
  return chosen.shell;
}

/**
 * The sticky comment as a reader of the run's events, rendering the run's state with `view`; undefined when the
 * run comments on no issue. `url` is the comment's once the run has ended.
 */
function stickyComment(
  github: GitHubSide,
  view: CommentView,
): { reporter: Reporter; url: () => string | undefined } | undefined {
  const issueNumber = github.commentOn;
  const client = issueNumber === undefined ? undefined : github.octokit();
  if (issueNumber === undefined || !client) return undefined;
  let url: string | undefined;
  const reporter: Reporter = (events, state) => {
    const comment = commentReporter({
      octokit: client,
      repo: github.context.repo,
      issueNumber,
      events,
      state,
      render: (s) => github.redact(renderComment(s, { ...view, now: Date.now() })),
    });
    return { close: async () => void (url = await comment.finish()) };
  };
  return { reporter, url: () => url };
}

/** A short comment on the triggering issue (a refusal, an input error); sets `comment-url`. */
async function postToIssue(github: GitHubSide | undefined, body: string, key?: string): Promise<void> {
  const client = github?.commentOn === undefined ? undefined : github.octokit();
  if (!github || github.commentOn === undefined || !client) return;
  const url = await postStickyComment(
    { octokit: client, repo: github.context.repo, issueNumber: github.commentOn, key },
    github.redact(body),
  );
  if (url) core.setOutput('comment-url', url);
}

/**
 * Each task's status in the last run on the issue, from the sticky comment, when the run comments on one. `only:
 * failed` needs it: without an issue to read, or when it cannot be read, that is an input error.
 */
async function previousRun(settings: Settings, github: GitHubSide): Promise<Outcome | undefined> {
  const issue = github.commentOn;
  const client = issue === undefined ? undefined : github.octokit();
  const needed = settings.only === 'failed';
  if (issue === undefined || !client) {
    if (!needed) return undefined;
    throw new InputError(
      "needs the last run's sticky comment, and this run comments on no issue",
      'input `only`',
      'Start the run from an issue (its label or `/agents run`) or pass `issue-number`, keep `comment` on, and keep `github-token`',
    );
  }
  try {
    return await readPreviousOutcome(client, github.context.repo, issue);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (!needed) {
      core.debug(`The last run's record on #${issue} could not be read: ${why}`);
      return undefined;
    }
    throw new InputError(
      `could not read the last run's comment on #${issue} (${why})`,
      'input `only`',
      'Check that `github-token` may read issues (`issues: read`), or leave `only` out to run every task',
    );
  }
}

/**
 * The tasks of one matrix shard, as `mode: plan` numbered them for the same tasks and `max-shards`, and the plan this
 * step's own inputs make of it. With `shard-plan`, a step whose inputs plan otherwise than the plan step's is refused.
 */
function shardOf(settings: Settings, { set, plan, shards }: Intake): [TaskSet, Plan, ShardPlan] {
  const shard = shards[settings.shard! - 1];
  // A shard its inputs do not make still has their tasks, `max-shards` and `overlap` to compare.
  const own = shardPlanOf(
    plan,
    shards,
    settings.maxShards,
    shard ?? { shard: String(settings.shard), tasks: [], hours: 0 },
    settings.plan === 'predict',
    // Kept in this shard's record for the report, which counts the prediction's cost once.
    settings.shardPlan ? decodeShardPlan(settings.shardPlan)?.predictionSpent : undefined,
  );
  if (settings.shardPlan) checkShardPlan(settings.shardPlan, own);
  else
    core.info(
      'Pass `shard-plan: ${{ matrix.plan }}` too, so that a shard whose inputs plan otherwise is refused',
    );
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
  return [
    { ...set, tasks, source: `${set.source}, shard ${shard.shard}` },
    planTasks(tasks, { overlap: settings.overlap }),
    own,
  ];
}

/** Refuses a shard whose own inputs plan otherwise than its matrix entry's plan, naming each difference. */
function checkShardPlan(given: string, own: ShardPlan): void {
  const where = `input \`shard-plan\` (shard ${own.shard})`;
  const planned = decodeShardPlan(given);
  if (!planned) {
    throw new InputError(
      'is not a plan that `mode: plan` made',
      where,
      "Pass the matrix entry's own: `shard-plan: ${{ matrix.plan }}`",
    );
  }
  if (planned.shard !== own.shard) {
    throw new InputError(
      `is the plan of shard ${planned.shard}, not of shard ${own.shard}`,
      where,
      'Pass `shard` and `shard-plan` from the same matrix entry: `${{ matrix.shard }}` and `${{ matrix.plan }}`',
    );
  }
  const differences = planDifferences(planned, own);
  if (differences.length === 0) return;
  const [first, ...rest] = differences.map((d) => `${d.planned}, but is run with ${d.actual}`);
  throw new InputError(
    `this shard was planned with ${[first, ...rest].join('; and with ')}`,
    where,
    'Give the plan step and every shard the same tasks, `max-shards` and `overlap` (set them once, as the example fan-out workflow does), or plan again',
  );
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

/** The shell can read the repository's config: a token actions/checkout persisted there is within its reach. */
async function credentialWarnings(workspace: Workspace): Promise<string[]> {
  const credentials = await workspace.persistedCredentials();
  if (credentials.length === 0) return [];
  return [
    `The agents' shell can read a credential persisted in .git/config (${credentials.join(', ')}). ` +
      'Check out with `persist-credentials: false`; the action pushes with `github-token` on its own.',
  ];
}
