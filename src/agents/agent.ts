import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { AnthropicError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { BetaMessage, BetaToolResultContentBlockParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { ToolName } from '../settings.js';
import type { Task } from '../tasks/task.js';
import { describeError } from './describe-error.js';
import type { EventStream } from '../events.js';
import { taskPrompt } from './prompt.js';
import { shellEnvironment } from './shell-env.js';
import { globTool } from './glob.js';
import { sandboxedBashTool, type ShellSandbox } from './sandbox.js';
import { abortable } from './model-gate.js';
import { PRICES, costOf, priceOf, type PriceTable } from './pricing.js';
import { addUsage, noUsage, type AgentResult, type AgentStatus, type RunStop, type Usage } from './result.js';
import { branchName, type CommitSummary, type PushOutcome, type Worktree } from './workspace.js';

/** What an agent needs from the workspace: a worktree of its own, a commit of what it changed, and a push. */
interface AgentWorkspace {
  create(task: Task): Promise<Worktree>;
  commit(worktree: Worktree, message: string): Promise<CommitSummary>;
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
}

/**
 * One task, one agent: a streaming tool-use loop on the SDK's tool runner, with the SDK's agent toolset confined to
 * the task's own worktree. Never throws: every way it can end is an `AgentResult`, and what the agent changed is
 * committed to its branch whatever the ending.
 */
export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const { task, events, model } = options;
  const startedAt = Date.now();
  let usage: Usage = noUsage();
  let turns = 0;
  let toolCalls = 0;
  let lastMessage: BetaMessage | undefined;
  let worktree: Worktree | undefined;
  let status: AgentStatus = 'succeeded';
  let error: string | undefined;

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;

  let tools: BetaRunnableTool[] = [];
  try {
    events.emit({ type: 'started', task: task.id, at: startedAt, branch: branchName(task), model });
    worktree = await options.workspace.create(task);

    const home = path.join(
      options.homeRoot ?? path.join(os.tmpdir(), 'parallel-agents-homes'),
      task.id.toLowerCase(),
    );
    await mkdir(home, { recursive: true });
    // `env` replaces the shell's environment entirely, so nothing of the runner's reaches it unless listed.
    const env = shellEnvironment(process.env, home);
    const shell = options.shell ?? { sandbox: 'none' };
    const inWorktree = worktree;
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
      .map((tool) =>
        observed(tool, task.id, events, () => {
          toolCalls += 1;
        }),
      );

    const runner = options.client.beta.messages.toolRunner(
      {
        model,
        max_tokens: options.maxTokens ?? 16_000,
        // The breakpoint caches tools and system together: both are the same for every agent.
        system: [{ type: 'text', text: options.system, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: taskPrompt(task) }],
        tools,
        max_iterations: options.maxTurns,
        stream: true,
      },
      { signal },
    );

    // A reply cut off mid-stream (an `error` event, a dropped connection) is not retried by the SDK, as part of it
    // has arrived. The runner takes its own failure as the end of an iteration and may be iterated again: the next
    // turn replays the conversation on a new thread.
    for (let retries = 0; ; retries++) {
      try {
        const iterator = runner[Symbol.asyncIterator]();
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          // A failed reply surfaces from the runner itself on the next step, which lets it be iterated again.
          const message = await next.value.finalMessage().catch(() => undefined);
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
            text: textOf(message),
          });
        }
        break;
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
    // The runner stops at `max_iterations` even when the model still wants its tools.
    if (lastMessage?.stop_reason === 'tool_use') {
      status = 'turn-limit';
      error = `stopped after ${turns} turns (max-turns)`;
    }
  } catch (caught) {
    if (options.signal?.aborted) {
      const stop = options.signal.reason as RunStop;
      status = stop === 'budget' ? 'budget' : 'cancelled';
      error = stop === 'budget' ? "stopped: the run's max-cost-usd was reached" : 'the run was cancelled';
    } else if (timeout.signal.aborted) {
      status = 'timeout';
      error = `stopped after ${Math.round(options.timeoutMs / 1000)} s (timeout-minutes)`;
    } else {
      status = 'failed';
      error = describeError(caught);
    }
  } finally {
    clearTimeout(timer);
    // The tool runner leaves this to its caller: the shell is a process of its own and would outlive the agent.
    await Promise.all(tools.map((tool) => tool.close?.())).catch(() => undefined);
  }

  // Work is kept whatever the ending: a failed or stopped agent's partial changes still land on its branch.
  let changes: CommitSummary = { filesChanged: [], insertions: 0, deletions: 0 };
  let committed = false;
  let pushed = false;
  let notPushed: string | undefined;
  if (worktree) {
    try {
      changes = await options.workspace.commit(worktree, commitMessage(task, status));
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
    // Only once the work is safe on the branch; otherwise the worktree is all there is of it.
    if (committed) await options.workspace.remove(worktree).catch(() => undefined);
  }

  const endedAt = Date.now();
  const result: AgentResult = {
    id: task.id,
    title: task.title,
    status,
    model,
    startedAt,
    endedAt,
    seconds: (endedAt - startedAt) / 1000,
    turns,
    toolCalls,
    usage,
    costUsd: costOf(usage, priceOf(model, options.prices ?? PRICES)),
    report: lastMessage ? textOf(lastMessage) : '',
    branch: worktree?.branch ?? '',
    ...changes,
    pushed,
    ...(notPushed ? { notPushed } : {}),
    ...(error ? { error } : {}),
  };
  // The scheduler announces the end, once for every task, started or not.
  return result;
}

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

/** The tool with its calls and results reported on the event stream. */
function observed(
  tool: BetaRunnableTool,
  task: string,
  events: EventStream,
  counted: () => void,
): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      const id = context?.toolUse.id ?? '';
      const result = (isError: boolean, output: string) =>
        events.emit({ type: 'tool-result', task, at: Date.now(), tool: tool.name, id, isError, output });
      counted();
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
