import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { AnthropicError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { BetaMessage, BetaToolResultContentBlockParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { BetaToolRunner } from '@anthropic-ai/sdk/lib/tools/BetaToolRunner';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { ToolName } from '../settings.js';
import type { Task } from '../tasks/task.js';
import { AGENT_REPORT_FORMAT, agentReportMarkdown, parseAgentReport } from './agent-report.js';
import { describeError } from '../model/describe-error.js';
import { refusalIn, type EndpointRefusal } from '../model/refusal.js';
import type { EventStream } from '../events.js';
import { taskPrompt, type TaskBrief } from '../model/prompt.js';
import { shellEnvironment } from '../sandbox/shell-env.js';
import { agentToolset, type AgentTool } from '../tools/toolset.js';
import { AgentNotes, withNewNotes } from '../tools/notes.js';
import { standInFor } from '../tools/progress.js';
import { redactor } from '../report/redact.js';
import { breakReferences } from '../report/sanitize.js';
import type { ShellSandbox } from '../sandbox/sandbox.js';
import { PRICES, costOf, priceOf, type PriceTable } from '../model/pricing.js';
import {
  addUsage,
  noUsage,
  usageOf,
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
import {
  branchName,
  type CommitSummary,
  type PushOutcome,
  type Worktree,
  type WorktreeOptions,
} from '../git/workspace.js';

/** What an agent needs from the workspace: a worktree of its own, a commit of what it changed, and a push. */
interface AgentWorkspace {
  /** A worktree on the task's branch, from the base commit or from `startPoint` (the work it builds on). */
  create(task: Task, options?: WorktreeOptions): Promise<Worktree>;
  /** As `create`, resolved before the files are all checked out: `Worktree.ready` says when they are. */
  open?(task: Task, options?: WorktreeOptions): Promise<Worktree>;
  commit(
    worktree: Worktree,
    message: string,
    options?: { stagedAhead?: boolean; onlyFileTools?: boolean },
  ): Promise<CommitSummary>;
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
  /** Called when the endpoint answered what no retry fixes (a refused key, an unknown model), before the agent ends. */
  onRefused?: (refusal: EndpointRefusal) => void;
  /**
   * Resolves to true when the agent may send its first request (another agent is warming the prompt cache), false
   * when the run stopped first. The agent makes its worktree, tools and conversation while it waits; its time, its
   * timeout and its `started` event begin when the gate opens. A run stopped first gets a not-started result.
   */
  startGate?: Promise<boolean>;
  /** The commit the task starts from instead of the base: the work of the tasks it builds on. */
  startPoint?: string;
  /** What the agent is told besides its task: what it builds on, the check it will be held to. */
  brief?: TaskBrief;
  /** Values no note the agent posts may carry to the others (the run's secrets). */
  secrets?: readonly string[];
}

/** Model turns an agent's own progress report stands for before its tool calls stand in again. */
const REPORT_STANDS_TURNS = 2;

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
  const agent = new AgentRun(options);
  const notStarted = await agent.work();
  if (notStarted) return notStarted;
  // Work is kept whatever the ending: a failed or stopped agent's partial changes still land on its branch.
  await agent.keepWork();
  // The scheduler announces the end, once for every task, started or not.
  return agent.result();
}

type Thread = ReturnType<Anthropic['beta']['messages']['thread']>;
/** What the tool runner hands over for each turn: the reply's stream. */
type ReplyStream = BetaToolRunner<true> extends AsyncIterable<infer Stream> ? Stream : never;

/** One agent's run: what it has done so far, and how it ended. */
class AgentRun {
  private readonly task: Task;
  private readonly model: string;
  private readonly events: EventStream;
  private readonly checks: Checks | undefined;
  private readonly shellLimit: <T>(run: () => Promise<T>) => Promise<T>;

  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly timeout = new AbortController();
  // A failed `setup` stops the conversation: the agent would work in a worktree the repository says is broken.
  private readonly setupFailed = new AbortController();
  // So does a worktree git could not make: the first request goes out before git has made it.
  private readonly worktreeFailed = new AbortController();
  // And a shell stopped at one of its limits (memory, processes, disk): the agent fails, with why.
  private readonly limitReached = new AbortController();
  private readonly signal: AbortSignal;

  private usage: Usage = noUsage();
  private turns = 0;
  private toolCalls = 0;
  private modelMs = 0;
  private streaming = false;
  private lastMessage: BetaMessage | undefined;
  private status: AgentStatus = 'succeeded';
  private error: string | undefined;

  private worktree: Worktree | undefined;
  private tools: AgentTool[] = [];
  private commands: CommandShell | undefined;
  private setup: CommandRun | undefined;
  private verification: Verification | undefined;

  // Without a tool that writes after its call returns, only calls change the worktree: what they changed is staged
  // while the model thinks (see `Workspace.stageAhead`), and the commit takes it unless a tool wrote again since.
  private stagesAhead = false;
  private changed = false;
  private stagedAhead = false;

  // What the progress line last said, and the turn of the agent's own last report (its tool calls stand in after).
  private doing = '';
  private reportedAtTurn: number | undefined;

  private changes: CommitSummary = { filesChanged: [], insertions: 0, deletions: 0 };
  private pushed = false;
  private notPushed: string | undefined;

  constructor(private readonly options: AgentOptions) {
    this.task = options.task;
    this.model = options.model;
    this.events = options.events;
    this.checks = options.checks;
    this.shellLimit = options.shellLimit ?? ((run) => run());
    this.signal = AbortSignal.any([
      ...(options.signal ? [options.signal] : []),
      this.timeout.signal,
      this.setupFailed.signal,
      this.worktreeFailed.signal,
      this.limitReached.signal,
    ]);
  }

  /**
   * The conversation and the checks, to whatever end; a not-started result when the run stopped before the start
   * gate opened.
   */
  async work(): Promise<AgentResult | undefined> {
    const { options } = this;
    try {
      if (!options.startGate) this.start();
      const worktree = await this.openWorktree();
      const { ready } = await this.prepare(worktree);
      let thread = this.startThread(true);
      if (options.startGate) {
        if (!(await options.startGate)) {
          // Nothing was asked of the model: the setup under way stops with the run, and the worktree goes.
          await ready?.catch(() => undefined);
          void options.workspace.remove(worktree).catch(() => undefined);
          return stoppedBeforeStart(this.task, options.signal?.reason as RunStop, this.model);
        }
        this.start();
      }
      thread = await this.converseOnce(thread);
      this.stoppedAtTurnLimit();
      // A conversation that ended before `setup` did still waits for it: `verify` needs what it installs.
      await ready;
      if (this.checks?.verify && this.status === 'succeeded')
        await this.verify(thread, worktree, this.checks);
    } catch (caught) {
      this.endedBy(caught);
    } finally {
      clearTimeout(this.timer);
      // The tool runner leaves this to its caller: the shell is a process of its own and would outlive the agent.
      await Promise.all([...this.tools.map((tool) => tool.close?.()), this.commands?.close()]).catch(
        () => undefined,
      );
    }
    return undefined;
  }

  /** The agent's time, its timeout and its `started` event begin here. */
  private start(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(() => this.timeout.abort(), this.options.timeoutMs);
    this.events.emit({
      type: 'started',
      task: this.task.id,
      at: this.startedAt,
      branch: branchName(this.task),
      model: this.model,
    });
  }

  private async openWorktree(): Promise<Worktree> {
    const { workspace } = this.options;
    const at: WorktreeOptions = this.options.startPoint ? { startPoint: this.options.startPoint } : {};
    const worktree = await (workspace.open?.(this.task, at) ?? workspace.create(this.task, at));
    worktree.added?.catch((caught: unknown) => this.worktreeFailed.abort(caught));
    this.worktree = worktree;
    return worktree;
  }

  /**
   * The shell's home and environment, `setup` under way, and the tools. `ready` is `setup`'s outcome, which the
   * caller handles (or the stop it causes does).
   */
  private async prepare(worktree: Worktree): Promise<{ ready?: Promise<void> }> {
    const { options, checks } = this;
    const home = path.join(
      options.homeRoot ?? path.join(os.tmpdir(), 'parallel-agents-homes'),
      this.task.id.toLowerCase(),
    );
    await mkdir(home, { recursive: true });
    // `env` replaces the shell's environment entirely, so nothing of the runner's reaches it unless listed.
    const env = shellEnvironment(process.env, home);
    const given = options.shell ?? { sandbox: 'none' };
    const onLimit = (reason: string) => this.limitReached.abort(reason);
    const shell = given.sandbox === 'bwrap' ? { ...given, onLimit } : given;
    if (checks?.setup || checks?.verify) this.commands = commandShell({ shell, worktree, home, env });
    const ready = checks?.setup ? this.runSetup(this.commands!, checks.setup) : undefined;
    ready?.catch(() => undefined);
    const notes = new AgentNotes(this.task.id, this.events, redactor(options.secrets ?? []));
    const toolset = agentToolset({
      allowed: options.tools,
      worktree,
      home,
      env,
      shell,
      ...(options.shellLimit ? { shellLimit: options.shellLimit } : {}),
      team: { progress: (percent, doing) => this.reported(percent, doing), notes },
    });
    this.tools = toolset.map((tool) => withNewNotes(this.wrapped(tool, worktree, ready), notes) as AgentTool);
    this.stagesAhead =
      options.workspace.stageAhead !== undefined &&
      !toolset.some((tool) => tool.writesAfterReturn) &&
      !checks?.setup &&
      !checks?.verify;
    return ready ? { ready } : {};
  }

  /** The tool waiting for the checkout and for `setup` when it uses the worktree, its calls counted and reported. */
  private wrapped(tool: AgentTool, worktree: Worktree, ready: Promise<void> | undefined): AgentTool {
    let waiting: BetaRunnableTool = tool;
    if (worktree.ready && tool.usesWorktree) waiting = afterCheckout(waiting, worktree.ready);
    if (ready && tool.usesWorktree) waiting = afterSetup(waiting, ready);
    const run = observed(waiting, this.task.id, this.events, (input) => {
      this.toolCalls += 1;
      if (tool.writes) this.changed = true;
      this.standIn(tool.name, input);
    }).run;
    return { ...tool, run };
  }

  /** The agent's own word on how far it is. */
  private reported(percent: number, doing: string): void {
    this.reportedAtTurn = this.turns;
    this.doing = doing;
    this.events.emit({
      type: 'progress',
      task: this.task.id,
      at: Date.now(),
      percent,
      doing,
      reported: true,
    });
  }

  /** A tool call says what the agent is doing, unless the agent said so itself lately. */
  private standIn(tool: string, input: Record<string, unknown>): void {
    if (this.reportedAtTurn !== undefined && this.turns - this.reportedAtTurn < REPORT_STANDS_TURNS) return;
    const doing = standInFor(tool, input);
    if (!doing || doing === this.doing) return;
    this.doing = doing;
    this.events.emit({
      type: 'progress',
      task: this.task.id,
      at: Date.now(),
      percent: null,
      doing,
      reported: false,
    });
  }

  /**
   * Runs `setup` under the shell's CPU limit and resolves once it has passed; a failure stops the conversation and
   * rejects, so tool calls waiting for it fail too.
   */
  private async runSetup(shell: CommandShell, command: string): Promise<void> {
    await this.worktree?.ready?.();
    const outcome = await this.shellLimit(() =>
      shell.run(command, { timeoutMs: this.options.timeoutMs, signal: this.signal }),
    );
    const setup = outcome.run;
    this.setup = setup;
    this.events.emit({
      type: 'check',
      task: this.task.id,
      at: Date.now(),
      check: 'setup',
      attempt: 1,
      run: setup,
    });
    if (setup.exitCode === 0) return;
    this.setupFailed.abort();
    throw new ToolError(setupError(setup));
  }

  /** A thread of our own rather than the runner's, so that a fix-up round continues the same conversation. */
  private startThread(structured: boolean): Thread {
    const { options } = this;
    return options.client.beta.messages.thread({
      model: this.model,
      max_tokens: options.maxTokens ?? 16_000,
      // The breakpoint caches tools and system together: both are the same for every agent.
      system: [{ type: 'text', text: options.system, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: taskPrompt(this.task, this.options.brief) }],
      tools: this.tools,
      // The agent's last reply is its report in a fixed form, with its own word on how far it got.
      ...(structured ? { output_config: { format: AGENT_REPORT_FORMAT } } : {}),
      // A gateway that refuses threads gets every turn with the whole conversation instead.
      unsupportedRequestBehavior: 'continue_unthreaded',
    });
  }

  /** The conversation on `thread`, or on a new one in prose where the endpoint refuses the report's format. */
  private async converseOnce(thread: Thread): Promise<Thread> {
    try {
      await this.converse(thread, this.options.maxTurns);
      return thread;
    } catch (caught) {
      // An endpoint or model without structured output refuses the first request; the agent then reports in prose.
      if (this.turns > 0 || !refusesReportFormat(caught)) throw caught;
      this.events.emit({
        type: 'warning',
        at: Date.now(),
        message: `${this.task.id}: the endpoint refused structured output (${describeError(caught)}); its agent reports in plain text, without an outcome of its own`,
      });
      const prose = this.startThread(false);
      await this.converse(prose, this.options.maxTurns);
      return prose;
    }
  }

  /** Runs the tool-use loop on `thread` for up to `turns` turns; throws what ended it otherwise. */
  private async converse(thread: Thread, turns: number): Promise<void> {
    const runner = thread.toolRunner({ max_iterations: turns, stream: true }, { signal: this.signal });
    // A reply cut off mid-stream (an `error` event, a dropped connection) is not retried by the SDK, as part of it
    // has arrived. The runner takes its own failure as the end of an iteration and may be iterated again: the next
    // turn replays the conversation on a new thread.
    for (let retries = 0; ; retries++) {
      try {
        for await (const stream of runner) await this.readReply(stream);
        return;
      } catch (caught) {
        if (this.signal.aborted || !isBrokenStream(caught) || retries >= BROKEN_STREAM_RETRIES) throw caught;
        this.events.emit({
          type: 'retry',
          task: this.task.id,
          at: Date.now(),
          attempt: retries + 1,
          reason: describeError(caught),
        });
      }
    }
  }

  /** One model turn: its stream read to the end, counted, and announced. */
  private async readReply(stream: ReplyStream): Promise<void> {
    // The request is out once the runner hands over its stream: from here to the stream's end is model time.
    const requested = performance.now();
    this.stageAhead();
    if (this.options.onStreaming && !this.streaming) {
      stream.once('streamEvent', () => {
        if (this.streaming) return;
        this.streaming = true;
        this.options.onStreaming?.();
      });
    }
    // A failed reply surfaces from the runner itself on the next step, which lets it be iterated again.
    const message = await stream.finalMessage().catch(() => undefined);
    this.modelMs += performance.now() - requested;
    if (!message) return;
    this.lastMessage = message;
    this.turns += 1;
    const turnUsage = usageOf(message);
    this.usage = addUsage(this.usage, turnUsage);
    const { id } = this.task;
    this.events.emit({ type: 'usage', task: id, at: Date.now(), usage: turnUsage });
    this.events.emit({
      type: 'turn',
      task: id,
      at: Date.now(),
      turn: this.turns,
      stopReason: message.stop_reason,
      text: displayText(message),
    });
  }

  /** Stages what the tools changed since the last reply while the model works on the next. */
  private stageAhead(): void {
    if (!this.stagesAhead || !this.changed || !this.worktree) return;
    this.changed = false;
    this.stagedAhead = true;
    this.options.workspace.stageAhead!(this.worktree).catch(() => undefined);
  }

  // The runner stops at `max_iterations` even when the model still wants its tools.
  private stoppedAtTurnLimit(): boolean {
    if (this.lastMessage?.stop_reason !== 'tool_use') return false;
    this.status = 'turn-limit';
    this.error = `stopped after ${this.turns} turns (max-turns)`;
    return true;
  }

  /** Runs `verify`, handing each failure back to the agent while fix-up rounds and turns remain. */
  private async verify(
    thread: Thread,
    worktree: Worktree,
    checks: Checks & { verify: string },
  ): Promise<void> {
    const { options } = this;
    // The repository's own check needs every file, not only those the agent's tools touched.
    await worktree.ready?.();
    const runs: CommandRun[] = [];
    let fixUps = 0;
    for (;;) {
      const outcome = await this.shellLimit(() =>
        this.commands!.run(checks.verify, { timeoutMs: checks.verifyTimeoutMs, signal: options.signal }),
      );
      options.signal?.throwIfAborted();
      runs.push(outcome.run);
      const passed = outcome.run.exitCode === 0;
      const again = !passed && fixUps < checks.verifyRetries && this.turns < options.maxTurns;
      this.verification = { passed, runs: [...runs], fixUps };
      this.events.emit({
        type: 'check',
        task: this.task.id,
        at: Date.now(),
        check: 'verify',
        attempt: runs.length,
        run: outcome.run,
        ...(again ? { fixUp: fixUps + 1 } : {}),
      });
      if (!again) break;
      fixUps += 1;
      this.verification = { passed, runs: [...runs], fixUps };
      // The next request carries only this message: the thread holds the rest, and the cache still serves it.
      thread.append({ role: 'user', content: fixUpPrompt(outcome) });
      await this.converse(thread, options.maxTurns - this.turns);
      if (this.stoppedAtTurnLimit()) break;
    }
    if (this.status === 'succeeded' && !this.verification?.passed) {
      this.status = 'failed-verification';
      this.error = verifyError(runs.at(-1)!, fixUps);
    }
  }

  /** The status and error for what ended the conversation: the first stop that fired names it. */
  private endedBy(caught: unknown): void {
    const { options } = this;
    this.status = 'failed';
    if (options.signal?.aborted) {
      const stop = options.signal.reason as RunStop;
      this.status = stop === 'budget' ? 'budget' : 'cancelled';
      this.error =
        stop === 'budget' ? "stopped: the run's max-cost-usd was reached" : 'the run was cancelled';
    } else if (this.timeout.signal.aborted) {
      this.status = 'timeout';
      this.error = `stopped after ${Math.round(options.timeoutMs / 1000)} s (timeout-minutes)`;
    } else if (this.setupFailed.signal.aborted && this.setup) {
      this.error = setupError(this.setup);
    } else if (this.limitReached.signal.aborted) {
      this.error = String(this.limitReached.signal.reason);
    } else if (this.worktreeFailed.signal.aborted) {
      this.error = describeError(this.worktreeFailed.signal.reason);
    } else {
      const refusal = refusalIn(caught);
      this.error = refusal?.message ?? describeError(caught);
      if (refusal) options.onRefused?.(refusal);
    }
  }

  /** Commits what the agent changed to its branch and pushes it, then lets the worktree go. */
  async keepWork(): Promise<void> {
    const { worktree, options } = this;
    // A conversation may end before git has made the worktree, or found it could not.
    const made = await (worktree?.added ?? Promise.resolve()).then(
      () => true,
      (caught: unknown) => {
        if (this.status === 'succeeded' || !this.error) {
          this.status = 'failed';
          this.error = describeError(caught);
        }
        return false;
      },
    );
    if (!worktree || !made) return;
    let committed = false;
    try {
      this.changes = await options.workspace.commit(worktree, commitMessage(this.task, this.status), {
        stagedAhead: this.stagedAhead && !this.changed,
        onlyFileTools: this.stagesAhead,
      });
      committed = true;
      if (this.changes.commit) {
        const outcome = await options.workspace.push(worktree);
        this.pushed = outcome.pushed;
        if (!outcome.pushed) this.notPushed = outcome.reason;
      }
    } catch (caught) {
      if (this.status === 'succeeded') this.status = 'failed';
      const step = committed ? `pushing ${worktree.branch}` : 'committing the changes';
      this.error = [this.error, `${step} failed: ${describeError(caught)}`].filter(Boolean).join('; ');
    }
    // Only once the work is safe on the branch; otherwise the worktree is all there is of it. The agent is done by
    // then: the removal is the workspace's to finish (the scheduler waits for it), not part of the agent's time.
    if (committed) void options.workspace.remove(worktree).catch(() => undefined);
  }

  result(): AgentResult {
    const { task, model, usage, error, setup, verification, notPushed } = this;
    const endedAt = Date.now();
    const finalText = this.lastMessage ? textOf(this.lastMessage) : '';
    const agentReport = parseAgentReport(finalText);
    return {
      id: task.id,
      title: task.title,
      status: this.status,
      model,
      startedAt: this.startedAt,
      endedAt,
      seconds: (endedAt - this.startedAt) / 1000,
      modelSeconds: this.modelMs / 1000,
      turns: this.turns,
      toolCalls: this.toolCalls,
      usage,
      costUsd: costOf(usage, priceOf(model, this.options.prices ?? PRICES)),
      report: agentReport ? agentReportMarkdown(agentReport) : finalText,
      branch: this.worktree?.branch ?? '',
      ...this.changes,
      pushed: this.pushed,
      ...(notPushed ? { notPushed } : {}),
      ...(error ? { error } : {}),
      ...(setup ? { setup } : {}),
      ...(verification ? { verification } : {}),
      ...(agentReport ? { agentReport } : {}),
    };
  }
}

/** New turns after replies cut off mid-stream, per agent. */
const BROKEN_STREAM_RETRIES = 2;

/**
 * A reply that broke off after it started: an `error` event in the stream (an APIError with no HTTP status) or a
 * connection that dropped mid-stream. Errors with a status were already retried by the SDK where that was safe.
 */
function isBrokenStream(error: unknown): boolean {
  // The SDK's stream wraps what the client refused in an error of its own; another turn would be refused the same.
  if (error instanceof APIUserAbortError || refusalIn(error)) return false;
  if (error instanceof APIError) return error.status === undefined;
  return error instanceof AnthropicError;
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
  counted: (input: Record<string, unknown>) => void,
): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      const id = context?.toolUse.id ?? '';
      const result = (isError: boolean, output: string) =>
        events.emit({ type: 'tool-result', task, at: Date.now(), tool: tool.name, id, isError, output });
      events.emit({ type: 'tool-call', task, at: Date.now(), tool: tool.name, id, input: input ?? {} });
      counted(input ?? {});
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

/** The commit's subject: its title may come from an issue, so it closes and notifies nothing once merged. */
function commitMessage(task: Task, status: AgentStatus): string {
  const subject = task.title ? `${task.id}: ${breakReferences(task.title)}` : task.id;
  return status === 'succeeded' ? subject : `${subject} (${status}, partial)`;
}
