import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { AnthropicError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { BetaMessage, BetaToolResultContentBlockParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { BetaToolRunner } from '@anthropic-ai/sdk/lib/tools/BetaToolRunner';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { ToolName } from '../settings.js';
import type { Task } from '../tasks/task.js';
import { AGENT_REPORT_FORMAT, agentReportMarkdown, parseAgentReport } from './agent-report.js';
import { describeError } from '../model/describe-error.js';
import type { EventStream } from '../events.js';
import { taskPrompt } from '../model/prompt.js';
import { shellEnvironment } from '../sandbox/shell-env.js';
import { globTool } from '../tools/glob.js';
import { sandboxedBashTool, type ShellSandbox } from '../sandbox/sandbox.js';
import { abortable } from '../model/model-gate.js';
import { PRICES, costOf, priceOf, type PriceTable } from '../model/pricing.js';
import {
  addUsage,
  noUsage,
  stoppedBeforeStart,
  type AgentResult,
  type AgentStatus,
  type CommandRun,
  type RunStop,
  type Usage,
  type Verification,
} from '../result.js';
import { commandShell, fixUpPrompt, setupError, verifyError, type CommandShell } from '../checks/verify.js';
import type { Checks } from '../checks.js';
import { afterCheckout } from '../tools/checkout-wait.js';
import { branchName, type CommitSummary, type PushOutcome, type Worktree } from '../git/workspace.js';

/** What an agent needs from the workspace: a worktree of its own, a commit of what it changed, and a push. */
interface AgentWorkspace {
  create(task: Task): Promise<Worktree>;
  /** As `create`, resolved before the files are all checked out: `Worktree.ready` says when they are. */
  open?(task: Task): Promise<Worktree>;
  commit(worktree: Worktree, message: string, options?: { stagedAhead?: boolean }): Promise<CommitSummary>;
  /** Stages the worktree's changes before the commit, which takes them when nothing changed since. Never rejects. */
  stageAhead?(worktree: Worktree): Promise<void>;
  /** Publishes the branch, or says why it could not (no `origin`); a push git refuses throws. */
  push(worktree: Worktree): Promise<PushOutcome>;
  /** Deletes the working tree, keeping its branch, so later steps can check the branch out. */
  remove(worktree: Worktree): Promise<void>;
}

export interface AgentOptions {
  client: Anthropic;
  task: Task;
  /** The system prompt, byte-identical for every agent of the run (see `systemPrompt`). */
  system: string;
  model: string;
  maxTurns: number;
  timeoutMs: number;
  tools: ToolName[];
  workspace: AgentWorkspace;
  events: EventStream;
  /** Aborted when the whole run is cancelled. */
  signal?: AbortSignal;
  /** Largest reply per turn. */
  maxTokens?: number;
  /** Directory under which each agent's shell gets a `HOME` of its own. */
  homeRoot?: string;
  /** Prices by model id, for the agent's cost. */
  prices?: PriceTable;
  /** Shared by every agent of a run: shell commands, which can load every core, run through it. */
  shellLimit?: <T>(run: () => Promise<T>) => Promise<T>;
  /** Where `bash` runs (see `shellSandbox`); without it, unsandboxed as with `sandbox: none`. */
  shell?: ShellSandbox;
  /** The repository's own commands: `setup` before the agent's tools touch the worktree, `verify` on its work. */
  checks?: Checks;
  /** Called once, when the agent's first model reply starts to stream: the prompt cache holds its prefix by then. */
  onStreaming?: () => void;
  /**
   * Resolves to true when the agent may send its first request (another agent is warming the prompt cache), false
   * when the run stopped first. The agent makes its worktree, tools and conversation while it waits; its time, its
   * timeout and its `started` event begin when the gate opens. A run stopped first gets a not-started result.
   */
  startGate?: Promise<boolean>;
}

/**
 * One task, one agent: a streaming tool-use loop on the SDK's tool runner, with the SDK's agent toolset confined to
 * the task's own worktree. Never throws: every way it can end is an `AgentResult`, and what the agent changed is
 * committed to its branch whatever the ending.
 *
 * With `checks`, `setup` runs in the worktree while the first request is out (no tool call touches the worktree
 * before it has finished), and `verify` runs on the finished work. A failing `verify` goes back to the agent in the
 * same conversation (the same thread, so the same prompt cache) for up to `verifyRetries` rounds; a task whose last
 * `verify` fails ends `failed-verification`, never `succeeded`. Both commands run in the shell's sandbox, under the
 * shell's CPU limit.
 */
export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const { task, events, model } = options;
  let startedAt = Date.now();
  let usage: Usage = noUsage();
  let turns = 0;
  let toolCalls = 0;
  let modelMs = 0;
  let streaming = false;
  let lastMessage: BetaMessage | undefined;
  let worktree: Worktree | undefined;
  let status: AgentStatus = 'succeeded';
  let error: string | undefined;
  let setup: CommandRun | undefined;
  let verification: Verification | undefined;
  let commands: CommandShell | undefined;
  const checks = options.checks;
  // Without a shell, only the writing tools change the worktree: what they changed is staged while the model thinks
  // (see `Workspace.stageAhead`), and the commit at the end takes it unless a tool wrote again since.
  const stagesAhead =
    options.workspace.stageAhead !== undefined &&
    !options.tools.includes('bash') &&
    !checks?.setup &&
    !checks?.verify;
  let changed = false;
  let stagedAhead = false;
  const shellLimit = options.shellLimit ?? (<T>(run: () => Promise<T>) => run());

  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    startedAt = Date.now();
    timer = setTimeout(() => timeout.abort(), options.timeoutMs);
    events.emit({ type: 'started', task: task.id, at: startedAt, branch: branchName(task), model });
  };
  // A failed `setup` stops the conversation: the agent would work in a worktree the repository says is broken.
  const setupFailed = new AbortController();
  // So does a worktree git could not make: the first request goes out before git has made it.
  const worktreeFailed = new AbortController();
  const signal = AbortSignal.any([
    ...(options.signal ? [options.signal] : []),
    timeout.signal,
    setupFailed.signal,
    worktreeFailed.signal,
  ]);

  /** Runs the tool-use loop of `runner` to its end, counting turns and usage; throws what ended it otherwise. */
  const converse = async (runner: BetaToolRunner<true>) => {
    // A reply cut off mid-stream (an `error` event, a dropped connection) is not retried by the SDK, as part of it
    // has arrived. The runner takes its own failure as the end of an iteration and may be iterated again: the next
    // turn replays the conversation on a new thread.
    for (let retries = 0; ; retries++) {
      try {
        const iterator = runner[Symbol.asyncIterator]();
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          // The request is out once the runner hands over its stream: from here to the stream's end is model time.
          const requested = performance.now();
          if (stagesAhead && changed && worktree) {
            changed = false;
            stagedAhead = true;
            options.workspace.stageAhead!(worktree).catch(() => undefined);
          }
          if (options.onStreaming && !streaming) {
            next.value.once('streamEvent', () => {
              if (streaming) return;
              streaming = true;
              options.onStreaming?.();
            });
          }
          // A failed reply surfaces from the runner itself on the next step, which lets it be iterated again.
          const message = await next.value.finalMessage().catch(() => undefined);
          modelMs += performance.now() - requested;
          if (!message) continue;
          lastMessage = message;
          turns += 1;
          const turnUsage = usageOf(message);
          usage = addUsage(usage, turnUsage);
          events.emit({ type: 'usage', task: task.id, at: Date.now(), usage: turnUsage });
          events.emit({
            type: 'turn',
            task: task.id,
            at: Date.now(),
            turn: turns,
            stopReason: message.stop_reason,
            text: displayText(message),
          });
        }
        return;
      } catch (caught) {
        if (signal.aborted || !isBrokenStream(caught) || retries >= BROKEN_STREAM_RETRIES) throw caught;
        events.emit({
          type: 'retry',
          task: task.id,
          at: Date.now(),
          attempt: retries + 1,
          reason: describeError(caught),
        });
      }
    }
  };
  // The runner stops at `max_iterations` even when the model still wants its tools.
  const stoppedAtTurnLimit = () => {
    if (lastMessage?.stop_reason !== 'tool_use') return false;
    status = 'turn-limit';
    error = `stopped after ${turns} turns (max-turns)`;
    return true;
  };

  /**
   * Runs `setup` under the shell's CPU limit and resolves once it has passed; a failure stops the conversation and
   * rejects, so tool calls waiting for it fail too.
   */
  const runSetup = async (shell: CommandShell, command: string): Promise<void> => {
    await worktree?.ready?.();
    const outcome = await shellLimit(() => shell.run(command, { timeoutMs: options.timeoutMs, signal }));
    setup = outcome.run;
    events.emit({ type: 'check', task: task.id, at: Date.now(), check: 'setup', attempt: 1, run: setup });
    if (setup.exitCode === 0) return;
    setupFailed.abort();
    throw new ToolError(setupError(setup));
  };

  let tools: BetaRunnableTool[] = [];
  try {
    if (!options.startGate) start();
    worktree = await (options.workspace.open?.(task) ?? options.workspace.create(task));
    worktree.added?.catch((caught: unknown) => worktreeFailed.abort(caught));

    const home = path.join(
      options.homeRoot ?? path.join(os.tmpdir(), 'parallel-agents-homes'),
      task.id.toLowerCase(),
    );
    await mkdir(home, { recursive: true });
    // `env` replaces the shell's environment entirely, so nothing of the runner's reaches it unless listed.
    const env = shellEnvironment(process.env, home);
    const shell = options.shell ?? { sandbox: 'none' };
    const inWorktree = worktree;
    if (checks?.setup || checks?.verify) commands = commandShell({ shell, worktree, home, env });
    const ready = checks?.setup ? runSetup(commands!, checks.setup) : undefined;
    // Handled where it is awaited below, or by the stop it causes.
    ready?.catch(() => undefined);
    tools = betaAgentToolset20260401({ workdir: worktree.path, env })
      .filter((tool) => options.tools.includes(tool.name as ToolName))
      // The SDK's glob matches on this thread, where one pattern can stall every agent for minutes.
      .map((tool) => (tool.name === 'glob' ? globTool({ workdir: inWorktree.path }) : tool))
      .map((tool) =>
        tool.name === 'bash' && shell.sandbox === 'bwrap'
          ? sandboxedBashTool({ ...shell, worktree: inWorktree, home, env })
          : tool,
      )
      .map((tool) => (tool.name === 'bash' && options.shellLimit ? limited(tool, options.shellLimit) : tool))
      .map((tool) => (inWorktree.ready ? afterCheckout(tool, inWorktree.ready) : tool))
      .map((tool) => (ready ? afterSetup(tool, ready) : tool))
      .map((tool) =>
        observed(tool, task.id, events, (name) => {
          toolCalls += 1;
          if (WRITERS.has(name)) changed = true;
        }),
      );

    // A thread of our own rather than the runner's, so that a fix-up round continues the same conversation.
    const startThread = (structured: boolean) =>
      options.client.beta.messages.thread({
        model,
        max_tokens: options.maxTokens ?? 16_000,
        // The breakpoint caches tools and system together: both are the same for every agent.
        system: [{ type: 'text', text: options.system, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: taskPrompt(task) }],
        tools,
        // The agent's last reply is its report in a fixed form, with its own word on how far it got.
        ...(structured ? { output_config: { format: AGENT_REPORT_FORMAT } } : {}),
        // A gateway that refuses threads gets every turn with the whole conversation instead.
        unsupportedRequestBehavior: 'continue_unthreaded',
      });
    let thread = startThread(true);
    if (options.startGate) {
      if (!(await options.startGate)) {
        // Nothing was asked of the model: the setup under way stops with the run, and the worktree goes.
        await ready?.catch(() => undefined);
        void options.workspace.remove(worktree).catch(() => undefined);
        return stoppedBeforeStart(task, options.signal?.reason as RunStop, model);
      }
      start();
    }
    try {
      await converse(thread.toolRunner({ max_iterations: options.maxTurns, stream: true }, { signal }));
    } catch (caught) {
      // An endpoint or model without structured output refuses the first request; the agent then reports in prose.
      if (turns > 0 || !refusesReportFormat(caught)) throw caught;
      events.emit({
        type: 'warning',
        at: Date.now(),
        message: `${task.id}: the endpoint refused structured output (${describeError(caught)}); its agent reports in plain text, without an outcome of its own`,
      });
      thread = startThread(false);
      await converse(thread.toolRunner({ max_iterations: options.maxTurns, stream: true }, { signal }));
    }
    stoppedAtTurnLimit();
    // A conversation that ended before `setup` did still waits for it: `verify` needs what it installs.
    await ready;

    if (checks?.verify && status === 'succeeded') {
      // The repository's own check needs every file, not only those the agent's tools touched.
      await inWorktree.ready?.();
      const runs: CommandRun[] = [];
      let fixUps = 0;
      for (;;) {
        const outcome = await shellLimit(() =>
          commands!.run(checks.verify, { timeoutMs: checks.verifyTimeoutMs, signal: options.signal }),
        );
        options.signal?.throwIfAborted();
        runs.push(outcome.run);
        const passed = outcome.run.exitCode === 0;
        const again = !passed && fixUps < checks.verifyRetries && turns < options.maxTurns;
        verification = { passed, runs: [...runs], fixUps };
        events.emit({
          type: 'check',
          task: task.id,
          at: Date.now(),
          check: 'verify',
          attempt: runs.length,
          run: outcome.run,
          ...(again ? { fixUp: fixUps + 1 } : {}),
        });
        if (!again) break;
        fixUps += 1;
        verification = { passed, runs: [...runs], fixUps };
        // The next request carries only this message: the thread holds the rest, and the cache still serves it.
        thread.append({ role: 'user', content: fixUpPrompt(outcome) });
        const left = options.maxTurns - turns;
        await converse(thread.toolRunner({ max_iterations: left, stream: true }, { signal }));
        if (stoppedAtTurnLimit()) break;
      }
      if (status === 'succeeded' && !verification?.passed) {
        status = 'failed-verification';
        error = verifyError(runs.at(-1)!, fixUps);
      }
    }
  } catch (caught) {
    if (options.signal?.aborted) {
      const stop = options.signal.reason as RunStop;
      status = stop === 'budget' ? 'budget' : 'cancelled';
      error = stop === 'budget' ? "stopped: the run's max-cost-usd was reached" : 'the run was cancelled';
    } else if (timeout.signal.aborted) {
      status = 'timeout';
      error = `stopped after ${Math.round(options.timeoutMs / 1000)} s (timeout-minutes)`;
    } else if (setupFailed.signal.aborted && setup) {
      status = 'failed';
      error = setupError(setup);
    } else if (worktreeFailed.signal.aborted) {
      status = 'failed';
      error = describeError(worktreeFailed.signal.reason);
    } else {
      status = 'failed';
      error = describeError(caught);
    }
  } finally {
    clearTimeout(timer);
    // The tool runner leaves this to its caller: the shell is a process of its own and would outlive the agent.
    await Promise.all([...tools.map((tool) => tool.close?.()), commands?.close()]).catch(() => undefined);
  }

  // Work is kept whatever the ending: a failed or stopped agent's partial changes still land on its branch.
  let changes: CommitSummary = { filesChanged: [], insertions: 0, deletions: 0 };
  let committed = false;
  let pushed = false;
  let notPushed: string | undefined;
  // A conversation may end before git has made the worktree, or found it could not.
  const made = await (worktree?.added ?? Promise.resolve()).then(
    () => true,
    (caught: unknown) => {
      if (status === 'succeeded' || !error) {
        status = 'failed';
        error = describeError(caught);
      }
      return false;
    },
  );
  if (worktree && made) {
    try {
      changes = await options.workspace.commit(worktree, commitMessage(task, status), {
        stagedAhead: stagedAhead && !changed,
      });
      committed = true;
      if (changes.commit) {
        const outcome = await options.workspace.push(worktree);
        pushed = outcome.pushed;
        if (!outcome.pushed) notPushed = outcome.reason;
      }
    } catch (caught) {
      if (status === 'succeeded') status = 'failed';
      const step = committed ? `pushing ${worktree.branch}` : 'committing the changes';
      error = [error, `${step} failed: ${describeError(caught)}`].filter(Boolean).join('; ');
    }
    // Only once the work is safe on the branch; otherwise the worktree is all there is of it. The agent is done by
    // then: the removal is the workspace's to finish (the scheduler waits for it), not part of the agent's time.
    if (committed) void options.workspace.remove(worktree).catch(() => undefined);
  }

  const endedAt = Date.now();
  const finalText = lastMessage ? textOf(lastMessage) : '';
  const agentReport = parseAgentReport(finalText);
  const result: AgentResult = {
    id: task.id,
    title: task.title,
    status,
    model,
    startedAt,
    endedAt,
    seconds: (endedAt - startedAt) / 1000,
    modelSeconds: modelMs / 1000,
    turns,
    toolCalls,
    usage,
    costUsd: costOf(usage, priceOf(model, options.prices ?? PRICES)),
    report: agentReport ? agentReportMarkdown(agentReport) : finalText,
    branch: worktree?.branch ?? '',
    ...changes,
    pushed,
    ...(notPushed ? { notPushed } : {}),
    ...(error ? { error } : {}),
    ...(setup ? { setup } : {}),
    ...(verification ? { verification } : {}),
    ...(agentReport ? { agentReport } : {}),
  };
  // The scheduler announces the end, once for every task, started or not.
  return result;
}

/** The tools that change files in the worktree, besides `bash`. */
const WRITERS = new Set(['write', 'edit']);

/** New turns after replies cut off mid-stream, per agent. */
const BROKEN_STREAM_RETRIES = 2;

/**
 * A reply that broke off after it started: an `error` event in the stream (an APIError with no HTTP status) or a
 * connection that dropped mid-stream. Errors with a status were already retried by the SDK where that was safe.
 */
function isBrokenStream(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIError) return error.status === undefined;
  return error instanceof AnthropicError;
}

/** The tool with each run waiting its turn under `limit`; a call whose agent stops while it waits is dropped. */
function limited(tool: BetaRunnableTool, limit: <T>(run: () => Promise<T>) => Promise<T>): BetaRunnableTool {
  return {
    ...tool,
    run: (input, context) =>
      abortable(
        limit(async () => {
          context?.signal?.throwIfAborted();
          return tool.run(input, context);
        }),
        context?.signal,
      ),
  };
}

/** The tool with each call waiting until `setup` has passed; when it failed, the call fails with why. */
function afterSetup(tool: BetaRunnableTool, ready: Promise<void>): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      await ready;
      return tool.run(input, context);
    },
  };
}

/** The tool with its calls and results reported on the event stream. */
function observed(
  tool: BetaRunnableTool,
  task: string,
  events: EventStream,
  counted: (tool: string) => void,
): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      const id = context?.toolUse.id ?? '';
      const result = (isError: boolean, output: string) =>
        events.emit({ type: 'tool-result', task, at: Date.now(), tool: tool.name, id, isError, output });
      counted(tool.name);
      events.emit({ type: 'tool-call', task, at: Date.now(), tool: tool.name, id, input: input ?? {} });
      try {
        const output = await tool.run(input, context);
        result(false, outputText(output));
        return output;
      } catch (caught) {
        result(true, caught instanceof Error ? caught.message : String(caught));
        throw caught;
      }
    },
  };
}

function outputText(output: string | BetaToolResultContentBlockParam[]): string {
  if (typeof output === 'string') return output;
  return output.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('\n');
}

/** A 400 that names the structured-output fields: the endpoint or the model does not take them. */
function refusesReportFormat(error: unknown): boolean {
  return (
    error instanceof APIError &&
    error.status === 400 &&
    /output_config|output_format|json_schema|structured output/i.test(error.message)
  );
}

/** What a turn said, for the live log: a report's summary rather than its JSON. */
function displayText(message: BetaMessage): string {
  const text = textOf(message);
  return parseAgentReport(text)?.summary ?? text;
}

function textOf(message: BetaMessage): string {
  return message.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n\n')
    .trim();
}

function usageOf(message: BetaMessage): Usage {
  const u = message.usage;
  return {
    input: u.input_tokens ?? 0,
    output: u.output_tokens ?? 0,
    cacheWrite: u.cache_creation_input_tokens ?? 0,
    cacheRead: u.cache_read_input_tokens ?? 0,
  };
}

function commitMessage(task: Task, status: AgentStatus): string {
  const subject = task.title ? `${task.id}: ${task.title}` : task.id;
  return status === 'succeeded' ? subject : `${subject} (${status}, partial)`;
}
