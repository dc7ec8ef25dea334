import { randomUUID } from 'node:crypto';
import type { BetaToolUseBlock } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaBashTool } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { ToolName } from '../settings.js';
import type { CommandRun } from '../result.js';
import type { Checks } from '../checks.js';
import { sandboxedBashTool, type ShellSandbox } from '../sandbox/sandbox.js';
import type { Worktree } from '../git/workspace.js';

/** Said when untrusted task text drives the agents: `verify` would run what they wrote, so it does not run. */
export const UNTRUSTED_VERIFY =
  "`verify` is not run: the task text comes from someone without `required-permission`, and the agents' changes " +
  'would run as code. The agents run without it and their work is not verified.';

/**
 * What needs the shell's sandbox in a run, in the words of an error about it (`bash` first, then `verify`, then
 * `setup`), or undefined when nothing does.
 */
export function shellUser(tools: readonly ToolName[], checks: Checks): string | undefined {
  if (tools.includes('bash')) return '`bash` in `allowed-tools`';
  if (checks.verify) return 'input `verify`';
  if (checks.setup) return 'input `setup`';
  return undefined;
}

/** Characters of a command's output kept in its record (the results, the summary, the comment). */
const RECORDED_TAIL = 4_000;
/** Characters of a failing `verify`'s output the agent is shown in its fix-up round. */
const FIX_UP_TAIL = 16_000;

/** A run of a command, and the longer end of its output that the agent reads when it has to fix what failed. */
export interface CommandOutcome {
  run: CommandRun;
  output: string;
}

/** A shell for `setup` and `verify` in one worktree: the agent's shell, same sandbox, but out of the model's reach. */
export interface CommandShell {
  /** Runs `command` in a subshell (an `exit` ends the command, not the shell); never throws. */
  run(command: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<CommandOutcome>;
  close(): Promise<void>;
}

export interface CommandShellOptions {
  shell: ShellSandbox;
  worktree: Pick<Worktree, 'path' | 'branch' | 'gitDir'>;
  /** The same `HOME` the agent's shell gets, so what `setup` installs there (caches, tools) is the agent's too. */
  home: string;
  /** The agent shell's environment: the same allowlist, so `setup` and `verify` see no more than the agent does. */
  env: Record<string, string>;
}

/**
 * The shell that runs the repository's commands in a worktree. It is the SDK's bash tool exactly as the agent gets it
 * — in bubblewrap with the same mounts and environment, or without a sandbox under `sandbox: none` — so a command
 * there can reach nothing the agent's own `bash` cannot.
 */
export function commandShell(options: CommandShellOptions): CommandShell {
  const { shell, worktree, home, env } = options;
  const tool: BetaRunnableTool =
    shell.sandbox === 'bwrap'
      ? sandboxedBashTool({ ...shell, worktree, home, env })
      : betaBashTool({ workdir: worktree.path, env });
  return {
    run: (command, { timeoutMs, signal }) => runCommand(tool, command, timeoutMs, signal),
    close: async () => {
      await tool.close?.();
    },
  };
}

async function runCommand(
  tool: BetaRunnableTool,
  command: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CommandOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  // The SDK's tool keeps only "exit N" of a failure that printed nothing, so the exit code comes after a marker of
  // this run's own. It is split in the script: the joined marker never appears in what the shell reads.
  const nonce = randomUUID().replaceAll('-', '');
  const marker = `__PA_EXIT_${nonce}__`;
  const script = `(\n${command}\n)\nprintf '\\n%s%s%d\\n' '__PA_EXIT_' '${nonce}__' "$?"`;
  const toolUse: BetaToolUseBlock = { type: 'tool_use', id: `toolu_${nonce}`, name: 'bash', input: {} };
  let output: string;
  try {
    const result = await tool.run(
      { command: script, timeout_ms: Math.max(1, Math.round(timeoutMs)) },
      { toolUse, toolUseBlock: toolUse, signal },
    );
    output =
      typeof result === 'string' ? result : result.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
  } catch (error) {
    const said = error instanceof ToolError ? String(error.content) : String(error);
    const why = signal?.aborted
      ? 'stopped before it finished'
      : /timed out/.test(said)
        ? `timed out after ${formatMinutes(timeoutMs)}`
        : said;
    return { run: { command, exitCode: null, seconds: seconds(), outputTail: '', error: why }, output: '' };
  }
  const at = output.lastIndexOf(marker);
  if (at < 0) {
    const run = { command, exitCode: null, seconds: seconds(), outputTail: tail(output, RECORDED_TAIL) };
    return { run: { ...run, error: 'the shell ended before the command did' }, output };
  }
  const exitCode = Number(/^\d+/.exec(output.slice(at + marker.length))?.[0] ?? NaN);
  const printed = output.slice(0, at).replace(/\n+$/, '');
  return {
    run: {
      command,
      exitCode: Number.isInteger(exitCode) ? exitCode : null,
      seconds: seconds(),
      outputTail: tail(printed, RECORDED_TAIL),
    },
    output: tail(printed, FIX_UP_TAIL),
  };
}

/**
 * What the agent is told when `verify` fails on its work: the command, how it ended, and the end of its output, in a
 * fence no backtick run in the output can close.
 */
export function fixUpPrompt(outcome: CommandOutcome): string {
  const { run } = outcome;
  const ended =
    run.exitCode === null
      ? `did not finish (${run.error ?? 'no exit code'})`
      : `exited with code ${run.exitCode}`;
  const longest = Math.max(0, ...(outcome.output.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [
    `The repository's check \`${run.command}\` ran on your work and ${ended}. The end of its output:`,
    `${fence}\n${outcome.output || '(no output)'}\n${fence}`,
    'Fix your change so that the check passes, keeping to your task; it runs again when you are done. Then reply ' +
      'without calling a tool, as before.',
  ].join('\n\n');
}

/** Why an agent whose work failed `verify` did not succeed, in one line. */
export function verifyError(run: CommandRun, fixUps: number): string {
  const after = fixUps ? ` after ${fixUps} fix-up ${fixUps === 1 ? 'round' : 'rounds'}` : '';
  return `verify \`${run.command}\` ${ended(run)}${after}`;
}

/** Why an agent whose `setup` failed did not run on, in one line. */
export function setupError(run: CommandRun): string {
  return `setup \`${run.command}\` ${ended(run)}`;
}

/** `exited 1`, or `did not finish (why)`. */
function ended(run: CommandRun): string {
  return run.exitCode === null ? `did not finish (${run.error ?? 'no exit code'})` : `exited ${run.exitCode}`;
}

/** The last `max` characters of `text`, from a line start where one is near, with a marker when cut. */
function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  const line = cut.indexOf('\n');
  return `…\n${line >= 0 && line < 200 ? cut.slice(line + 1) : cut}`;
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 1 ? `${+minutes.toFixed(2)} min` : `${+(ms / 1000).toFixed(1)} s`;
}
