import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import {
  betaBashTool,
  betaEditTool,
  betaGrepTool,
  betaReadTool,
  betaWriteTool,
  type AgentToolContext,
} from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { ToolName } from '../settings.js';
import type { Worktree } from '../git/workspace.js';
import { abortable } from '../model/model-gate.js';
import { sandboxedBashTool, type ShellSandbox } from '../sandbox/sandbox.js';
import { globTool } from './glob.js';
import { teamNotesTool, type AgentNotes } from './notes.js';
import { progressTool } from './progress.js';

/** A tool of the agent's, with what its calls can do to the worktree. */
export type AgentTool = BetaRunnableTool & {
  /** A call can change the worktree's files. */
  readonly writes: boolean;
  /** What a call starts can go on changing files after the call has returned (a shell's background job). */
  readonly writesAfterReturn: boolean;
  /** A call reads or changes the worktree, so waits for its checkout; the team's tools never touch it. */
  readonly usesWorktree: boolean;
};

/** What the tools every agent has, whatever `allowed-tools` says, report to: how far it is, what it tells the others. */
interface TeamTools {
  progress: (percent: number, doing: string) => void;
  notes: AgentNotes;
}

export interface ToolsetOptions {
  /** The tools the agent gets (`allowed-tools`). */
  allowed: readonly ToolName[];
  worktree: Pick<Worktree, 'path' | 'branch' | 'gitDir'>;
  /** The shell's own `HOME`. */
  home: string;
  /** The shell's whole environment (an allowlist, see `shellEnvironment`). */
  env: Record<string, string>;
  /** Where `bash` runs. */
  shell: ShellSandbox;
  /** Shared by every agent of a run: shell commands, which can load every core, run through it. */
  shellLimit?: Limit;
  /** The progress and notes tools, after the allowed ones; without it, none. */
  team?: TeamTools;
}

type Limit = <T>(run: () => Promise<T>) => Promise<T>;

interface Definition {
  writes: boolean;
  writesAfterReturn?: boolean;
  make(options: ToolsetOptions): BetaRunnableTool;
}

/**
 * Every tool an agent can be given, in the SDK's order (the order the model sees them in), each with whether it
 * writes. A tool is added here or nowhere: staging ahead reads `writes` from the tool itself.
 */
const DEFINITIONS: Record<ToolName, Definition> = {
  bash: { writes: true, writesAfterReturn: true, make: bash },
  read: { writes: false, make: (options) => betaReadTool(contextOf(options)) },
  write: { writes: true, make: (options) => betaWriteTool(contextOf(options)) },
  edit: { writes: true, make: (options) => betaEditTool(contextOf(options)) },
  // The SDK's glob matches on this thread, where one pattern can stall every agent for minutes.
  glob: { writes: false, make: ({ worktree }) => globTool({ workdir: worktree.path }) },
  grep: { writes: false, make: (options) => betaGrepTool(contextOf(options)) },
};

/** The names of every tool an agent can be given, in the order the model sees them. */
export const TOOL_ORDER = Object.keys(DEFINITIONS) as ToolName[];

/**
 * The agent's tools: the SDK's agent toolset confined to the worktree, only those `allowed`, then the team's tools
 * (progress, notes), which touch no file. Every definition is the same bytes for every agent of a run.
 */
export function agentToolset(options: ToolsetOptions): AgentTool[] {
  const files = TOOL_ORDER.filter((name) => options.allowed.includes(name)).map((name) => {
    const { writes, writesAfterReturn = false, make } = DEFINITIONS[name];
    return { ...make(options), writes, writesAfterReturn, usesWorktree: true };
  });
  if (!options.team) return files;
  const team = [progressTool(options.team.progress), teamNotesTool(options.team.notes)];
  return [
    ...files,
    ...team.map((tool) => ({ ...tool, writes: false, writesAfterReturn: false, usesWorktree: false })),
  ];
}

/** The SDK's tools confined to the worktree; `env` replaces the environment of what they start. */
function contextOf({ worktree, env }: ToolsetOptions): AgentToolContext {
  return { workdir: worktree.path, env };
}

/** `bash` in the sandbox when there is one, each command waiting its turn under the run's shell limit. */
function bash(options: ToolsetOptions): BetaRunnableTool {
  const { shell, worktree, home, env, shellLimit } = options;
  const tool =
    shell.sandbox === 'bwrap'
      ? sandboxedBashTool({ ...shell, worktree, home, env })
      : betaBashTool(contextOf(options));
  return shellLimit ? limited(tool, shellLimit) : tool;
}

/** The tool with each run waiting its turn under `limit`; a call whose agent stops while it waits is dropped. */
function limited(tool: BetaRunnableTool, limit: Limit): BetaRunnableTool {
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
