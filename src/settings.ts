import os from 'node:os';
import path from 'node:path';
import { PRICES, type Price, type PriceTable } from './model/pricing.js';
import type { Checks } from './checks.js';
import { InputError } from './errors.js';
import type { OverlapPolicy } from './tasks/plan.js';
import { PERMISSIONS, UNTRUSTED_TEXT, type Permission, type UntrustedText } from './github/permission.js';
import type { ShellLimits } from './sandbox/limits.js';

/** Tools of the SDK's agent toolset an agent may be given. `bash` is opt-in. */
const TOOL_NAMES = ['read', 'write', 'edit', 'glob', 'grep', 'bash'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

const FAIL_ON = ['any', 'all', 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];

const MODES = ['run', 'plan', 'report'] as const;
type Mode = (typeof MODES)[number];

/** `auto`: the shell runs in bubblewrap, and `bash` is refused where it cannot start; `none`: no sandbox. */
const SANDBOX_MODES = ['auto', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** `per-task`: a draft pull request per changed branch; `combined`: one branch and pull request for all; `none`. */
const PULL_REQUEST_MODES = ['per-task', 'combined', 'none'] as const;
type PullRequestMode = (typeof PULL_REQUEST_MODES)[number];

/** Which tasks a run takes: every one (`all`), or only those that did not succeed in the last run on the issue. */
const ONLY = ['all', 'failed'] as const;
const OVERLAP_POLICIES = ['stack', 'parallel'] as const;
const PLAN_SOURCES = ['as-written', 'predict'] as const;
type Only = (typeof ONLY)[number];

const DEFAULT_MODEL = 'claude-sonnet-4-6';

/** Every input, read and validated once. Nothing else reads inputs. */
export interface Settings {
  /** `run` the agents, or only `plan` them (no API key needed, no model call). */
  mode: Mode;
  /** Anthropic API key; masked before anything else runs. Empty in `plan` mode. */
  apiKey: string;
  /** Another Messages-API endpoint (gateway, proxy, loopback server); the SDK default when absent. */
  baseUrl?: string;
  /** Token for reading the issue and pushing agents' branches to `origin`. */
  githubToken?: string;
  /** Tasks in the Markdown task grammar; wins over every other source. */
  tasks: string;
  /** Path of a task file in the repository; used when `tasks` is empty. */
  tasksFile: string;
  /** Issue or PR whose body lists the tasks (when neither of the above); the triggering one when absent. */
  issueNumber?: number;
  /** Resolve ids against Linear. */
  linearApiKey?: string;
  /** Most shards `plan` splits the tasks into. */
  maxShards: number;
  /** With `run`: only this shard's tasks (1-based), as `plan` numbered them. */
  shard?: number;
  /** With `shard`: the plan that shard was made by (its matrix entry's `plan`), to check this run's inputs against. */
  shardPlan?: string;
  /** Model for every agent. */
  model: string;
  /** Agents running at once. */
  maxConcurrency: number;
  /** Model turns per agent. */
  maxTurns: number;
  /** Wall clock per agent, in milliseconds. */
  timeoutMs: number;
  /** Tools the agents get. */
  allowedTools: ToolName[];
  /** The repository's own commands: `setup` in each worktree first, `verify` on each agent's work and on the merge. */
  checks: Checks;
  /** Extra text for every agent's system prompt. */
  instructions: string;
  /** When the step fails: any agent failed, all failed, or never. */
  failOn: FailOn;
  /** Prices by model: the built-in list prices, with the `pricing` input over them. */
  prices: PriceTable;
  /** Budget for the whole run, in dollars. */
  maxCostUsd?: number;
  /** The checkout the agents branch from. */
  workspace: string;
  /** Where worktrees go: outside the checkout, so agents never see each other. */
  tempDir: string;
  /** Where the per-task result files and the audit log go, for upload as an artifact. */
  resultsDir: string;
  /** Every secret value read from the inputs, for redacting files the runner's masking never sees. */
  secrets: string[];
  /** Post and keep updating the sticky comment on the issue or pull request. */
  comment: boolean;
  /** The label that starts a run when added to an issue or pull request. */
  triggerLabel: string;
  /** Least repository permission of whoever starts a run, and of whoever wrote task text read from an issue. */
  requiredPermission: Permission;
  /** Whether `/agents run [ids]` comments start runs. */
  commentCommand: boolean;
  /** Bot logins that may start a run (`renovate` or `renovate[bot]`; `*` for any); no bot otherwise. */
  allowedBots: string[];
  /** Task text by someone without `requiredPermission`: `refuse` the run, or run it `read-only` (without `bash`). */
  untrustedText: UntrustedText;
  /** Run a fork's pull request as any other; otherwise its agents get no `bash`, `setup` or `verify`. */
  allowForks: boolean;
  /** How the agents' shell is confined: bubblewrap (`auto`) or not at all (`none`, the explicit opt-out). */
  sandbox: SandboxMode;
  /** Whether the sandboxed shell shares the runner's network (`shell-network: on`). */
  shellNetwork: boolean;
  /** What each agent's sandboxed shell may use (`agent-memory-mb`, `agent-processes`, `agent-tmp-mb`, `agent-disk-mb`). */
  shellLimits: ShellLimits;
  /** Where the agents' branches go: a draft pull request each, one combined pull request, or branches only. */
  pullRequests: PullRequestMode;
  /** `failed`: run only the tasks that did not succeed in the last run recorded on the issue. */
  only: Only;
  /** Tasks whose `paths` overlap: `stack` the later on the earlier's work, or run them at once (`parallel`). */
  overlap: OverlapPolicy;
  /** `predict`: a small model proposes `paths` and `depends on` for the tasks that give none. */
  plan: (typeof PLAN_SOURCES)[number];
}

/** How an input is read: `@actions/core`'s `getInput` in the action, a plain map in tests. */
export type GetInput = (name: string) => string;

/** The inputs `readSettings` knows, so the action.yml/README test can check nothing is left undocumented. */
export const INPUT_NAMES = [
  'anthropic-api-key',
  'anthropic-base-url',
  'github-token',
  'tasks',
  'tasks-file',
  'issue-number',
  'linear-api-key',
  'model',
  'max-concurrency',
  'max-turns',
  'timeout-minutes',
  'allowed-tools',
  'setup',
  'verify',
  'verify-timeout-minutes',
  'verify-retries',
  'instructions',
  'fail-on',
  'pricing',
  'max-cost-usd',
  'mode',
  'results-dir',
  'shard',
  'shard-plan',
  'max-shards',
  'comment',
  'trigger-label',
  'required-permission',
  'comment-command',
  'allowed-bots',
  'untrusted-text',
  'allow-forks',
  'sandbox',
  'shell-network',
  'agent-memory-mb',
  'agent-processes',
  'agent-tmp-mb',
  'agent-disk-mb',
  'pull-requests',
  'only',
  'overlap',
  'plan',
] as const;

export function readSettings(
  getInput: GetInput,
  env: NodeJS.ProcessEnv = process.env,
  maskSecret: (value: string) => void = () => {},
): Settings {
  const { apiKey, githubToken, linearApiKey, secrets } = readSecrets(getInput, maskSecret);
  const mode = readChoice(getInput, 'mode', MODES, 'run');
  const plan = readChoice(getInput, 'plan', PLAN_SOURCES, 'as-written');
  if (!apiKey && (mode === 'run' || (mode === 'plan' && plan === 'predict'))) {
    throw new InputError(
      mode === 'run' ? 'is required' : 'is required to predict the plan',
      'input `anthropic-api-key`',
      mode === 'run'
        ? 'Pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the step, or set `mode: plan` for a dry run'
        : 'Pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the step, or leave `plan` at `as-written`',
    );
  }
  const shardRaw = getInput('shard').trim();
  if (shardRaw && mode !== 'run') {
    throw new InputError(
      `is only read with \`mode: run\`, not \`mode: ${mode}\``,
      'input `shard`',
      'Leave `shard` out of the plan step; pass it to the matrix jobs that run',
    );
  }
  return {
    mode,
    apiKey,
    baseUrl: readUrl(getInput, 'anthropic-base-url'),
    githubToken,
    tasks: getInput('tasks'),
    tasksFile: getInput('tasks-file').trim(),
    issueNumber: readIssueNumber(getInput),
    linearApiKey,
    maxShards: readInteger(getInput, 'max-shards', 8, 1, 256),
    shard: shardRaw ? readInteger(getInput, 'shard', 1, 1, 256) : undefined,
    shardPlan: getInput('shard-plan').trim() || undefined,
    model: getInput('model').trim() || DEFAULT_MODEL,
    maxConcurrency: readInteger(getInput, 'max-concurrency', 4, 1, 256),
    maxTurns: readInteger(getInput, 'max-turns', 40, 1, 1000),
    timeoutMs: readNumber(getInput, 'timeout-minutes', 20, 0.01, 360) * 60_000,
    allowedTools: readTools(getInput),
    checks: readChecks(getInput),
    instructions: getInput('instructions').trim(),
    failOn: readChoice(getInput, 'fail-on', FAIL_ON, 'any'),
    prices: { ...PRICES, ...readPricing(getInput) },
    maxCostUsd: readBudget(getInput),
    workspace: path.resolve(env.GITHUB_WORKSPACE || process.cwd()),
    tempDir: path.join(env.RUNNER_TEMP || os.tmpdir(), 'parallel-agents'),
    resultsDir: path.resolve(
      env.GITHUB_WORKSPACE || process.cwd(),
      getInput('results-dir').trim() || 'parallel-agents-results',
    ),
    secrets,
    comment: readBoolean(getInput, 'comment', true),
    triggerLabel: getInput('trigger-label').trim() || 'parallel-agents',
    requiredPermission: readChoice(getInput, 'required-permission', PERMISSIONS, 'write'),
    commentCommand: readBoolean(getInput, 'comment-command', true),
    allowedBots: getInput('allowed-bots')
      .split(/[\s,]+/)
      .map((b) => b.trim())
      .filter(Boolean),
    untrustedText: readChoice(getInput, 'untrusted-text', UNTRUSTED_TEXT, 'refuse'),
    allowForks: readBoolean(getInput, 'allow-forks', false),
    sandbox: readChoice(getInput, 'sandbox', SANDBOX_MODES, 'auto'),
    // On by default: installing dependencies and running tests need it, and the sandbox keeps every token out of the
    // shell's reach, so what a command can send is what the agent can read anyway. `off` for tasks that need none.
    shellNetwork: readChoice(getInput, 'shell-network', ['on', 'off'] as const, 'on') === 'on',
    shellLimits: {
      memoryMb: readInteger(getInput, 'agent-memory-mb', 2048, 64, 1_048_576),
      processes: readInteger(getInput, 'agent-processes', 256, 16, 4_194_304),
      tmpMb: readInteger(getInput, 'agent-tmp-mb', 512, 1, 1_048_576),
      diskMb: readInteger(getInput, 'agent-disk-mb', 2048, 1, 1_073_741_824),
    },
    pullRequests: readChoice(getInput, 'pull-requests', PULL_REQUEST_MODES, 'per-task'),
    only: readChoice(getInput, 'only', ONLY, 'all'),
    overlap: readChoice(getInput, 'overlap', OVERLAP_POLICIES, 'stack'),
    plan,
  };
}

/** The secret inputs, masked before anything else is read, so that nothing can print them, even if an input is wrong. */
function readSecrets(getInput: GetInput, maskSecret: (value: string) => void) {
  const apiKey = getInput('anthropic-api-key').trim();
  const githubToken = getInput('github-token').trim() || undefined;
  const linearApiKey = getInput('linear-api-key').trim() || undefined;
  // The token also in the form it takes in the git push header.
  const pushHeader = githubToken && Buffer.from(`x-access-token:${githubToken}`).toString('base64');
  const secrets = [apiKey, githubToken, pushHeader, linearApiKey].filter((v): v is string => Boolean(v));
  for (const secret of secrets) maskSecret(secret);
  return { apiKey, githubToken, linearApiKey, secrets };
}

function readInteger(getInput: GetInput, name: string, fallback: number, min: number, max: number): number {
  const raw = getInput(name).trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError(
      `"${raw}" is not a whole number from ${min} to ${max}`,
      `input \`${name}\``,
      `Set it to a whole number such as ${fallback}, or leave it out for the default (${fallback})`,
    );
  }
  return Number(raw);
}

function readNumber(getInput: GetInput, name: string, fallback: number, min: number, max: number): number {
  const raw = getInput(name).trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
    throw new InputError(
      `"${raw}" is not a number from ${min} to ${max}`,
      `input \`${name}\``,
      `Set it to a number such as ${fallback}, or leave it out for the default (${fallback})`,
    );
  }
  return value;
}

function readBudget(getInput: GetInput): number | undefined {
  const raw = getInput('max-cost-usd').trim().replace(/^\$/, '');
  if (!raw) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0) {
    throw new InputError(
      `"${raw}" is not an amount of dollars`,
      'input `max-cost-usd`',
      'Set it to a positive number such as 5 or 12.50, or leave it out for no budget',
    );
  }
  return Number(raw);
}

function readPricing(getInput: GetInput): Record<string, Price> {
  const raw = getInput('pricing').trim();
  if (!raw) return {};
  const fail = (what: string): never => {
    throw new InputError(
      what,
      'input `pricing`',
      'Give JSON prices in dollars per million tokens, e.g. {"my-model":{"input":3,"output":15}}',
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return fail(`is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail('is not a JSON object');
  const prices: Record<string, Price> = {};
  for (const [model, price] of Object.entries(parsed)) {
    const { input, output, ...rest } = (price ?? {}) as Record<string, unknown>;
    const valid = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (!valid(input) || !valid(output) || Object.keys(rest).length) {
      fail(`the price of "${model}" is not {"input": <number>, "output": <number>}`);
    }
    prices[model] = { input: input as number, output: output as number };
  }
  return prices;
}

function readIssueNumber(getInput: GetInput): number | undefined {
  const raw = getInput('issue-number').trim();
  if (!raw) return undefined;
  if (!/^#?[1-9]\d{0,9}$/.test(raw)) {
    throw new InputError(
      `"${raw}" is not an issue number`,
      'input `issue-number`',
      'Give the number of an issue or pull request, such as 42, or leave it out to use the triggering one',
    );
  }
  return Number(raw.replace('#', ''));
}

/** `true` or `false` in any of the spellings YAML 1.2 allows, as `core.getBooleanInput` reads them. */
function readBoolean(getInput: GetInput, name: string, fallback: boolean): boolean {
  const raw = getInput(name).trim();
  if (!raw) return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new InputError(
    `"${raw}" is not true or false`,
    `input \`${name}\``,
    `Set it to \`true\` or \`false\`, or leave it out for the default (\`${fallback}\`)`,
  );
}

function readChoice<T extends string>(
  getInput: GetInput,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = getInput(name).trim();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new InputError(
      `"${raw}" is not one of ${choices.join(', ')}`,
      `input \`${name}\``,
      `Use one of ${choices.map((c) => `\`${c}\``).join(', ')} (default \`${fallback}\`)`,
    );
  }
  return raw as T;
}

function readChecks(getInput: GetInput): Checks {
  return {
    setup: getInput('setup').trim(),
    verify: getInput('verify').trim(),
    verifyTimeoutMs: readNumber(getInput, 'verify-timeout-minutes', 10, 0.01, 360) * 60_000,
    verifyRetries: readInteger(getInput, 'verify-retries', 1, 0, 5),
  };
}

function readTools(getInput: GetInput): ToolName[] {
  const raw = getInput('allowed-tools').trim() || 'read,write,edit,glob,grep';
  const names = raw
    .split(/[\s,]+/)
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(TOOL_NAMES as readonly string[]).includes(n));
  if (unknown.length || !names.length) {
    throw new InputError(
      unknown.length ? `unknown tool ${unknown.map((n) => `"${n}"`).join(', ')}` : 'lists no tool',
      'input `allowed-tools`',
      `List tools from ${TOOL_NAMES.join(', ')}, separated by commas`,
    );
  }
  return [...new Set(names)] as ToolName[];
}

function readUrl(getInput: GetInput, name: string): string | undefined {
  const raw = getInput(name).trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `"${raw}" is not an http(s) URL`,
      `input \`${name}\``,
      'Give the endpoint as a full URL such as https://gateway.example.com, or leave it out',
    );
  }
  return raw.replace(/\/+$/, '');
}
