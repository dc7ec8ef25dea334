import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaBashTool } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import { InputError, messageOf } from '../errors.js';
import type { SandboxMode } from '../settings.js';
import type { Worktree } from '../git/workspace.js';
import { findOnPath } from './commands.js';
import { gitMounts } from './git-mounts.js';
import { DEFAULT_LIMITS, guardShell, type ShellGuard, type ShellLimits } from './limits.js';

const execFileAsync = promisify(execFile);

/** How the agents' shell runs. */
export type ShellSandbox =
  /**
   * In bubblewrap, with `network` shared with the runner or not, each shell within `limits`. `onLimit` is set per agent:
   * it hears why a shell was stopped at a limit.
   */
  | {
      sandbox: 'bwrap';
      bwrap: string;
      network: boolean;
      limits?: ShellLimits;
      onLimit?: (reason: string) => void;
    }
  /** As the runner user with only the allowlisted environment: the explicit opt-out. */
  | { sandbox: 'none' };

/** Whether bubblewrap can start a sandbox on this runner, and if not, why and what to do. */
export type SandboxProbe =
  | { available: true; bwrap: string }
  /** `bwrap` is the one that was tried, when one was found. */
  | { available: false; reason: string; fix: string; bwrap?: string };

export interface ProbeOptions {
  /** The `bwrap` to try; the first on `env.PATH` when absent. */
  bwrap?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the kernel's switches for user namespaces are read, to say which one blocks. */
  procSys?: string;
}

/** Said when the sandbox cannot start, after what to do about it. */
const OPT_OUT = 'or set `sandbox: none` to run it without one';

/** What the run says when `sandbox: none` gives the agents an unsandboxed shell. */
export const UNSANDBOXED_WARNING =
  '`sandbox: none`: the `bash` tool runs without a sandbox, as the runner user. Its environment is an allowlist ' +
  "with no tokens, but a command can still read the action's own environment (its inputs and the job's tokens) " +
  "under /proc, write the runner's GITHUB_ENV and GITHUB_PATH, change other agents' worktrees and leave processes " +
  'running. Allow `bash` only for tasks whose text you trust.';

// The flags the shell runs with, on a root of nothing but the runner's system: what must work for it to work.
const PROBE_ARGS = [
  '--unshare-all',
  '--die-with-parent',
  '--new-session',
  '--ro-bind',
  '/',
  '/',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  '--',
  'true',
];
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Starts `bwrap` once with the shell's namespaces and nothing in them (a few milliseconds). Never throws: a `bwrap`
 * that is missing or cannot start is an answer, with what to do about it.
 */
export async function probeSandbox(options: ProbeOptions = {}): Promise<SandboxProbe> {
  const env = options.env ?? process.env;
  const bwrap = options.bwrap ?? (await findOnPath('bwrap', env.PATH ?? ''));
  const install = 'Add a step that runs `sudo apt-get install -y bubblewrap` before this one';
  if (!bwrap) return { available: false, reason: 'bubblewrap (`bwrap`) is not installed', fix: install };
  try {
    await execFileAsync(bwrap, PROBE_ARGS, {
      env: { PATH: '/usr/bin:/bin' },
      timeout: PROBE_TIMEOUT_MS,
      encoding: 'utf8',
    });
    return { available: true, bwrap };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    if (failure.code === 'ENOENT' || failure.code === 'EACCES') {
      return { available: false, reason: `bubblewrap is not installed at ${bwrap}`, fix: install };
    }
    const said = failure.killed
      ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s`
      : firstLine(failure.stderr ?? '') || failure.message;
    return {
      available: false,
      reason: `bubblewrap cannot start a sandbox here (${said})`,
      fix: await userNamespaceFix(options.procSys ?? '/proc/sys'),
      bwrap,
    };
  }
}

/**
 * The shell the settings ask for, given what the probe found, and the warning the run shows for it. With
 * `sandbox: auto` and no working bubblewrap, `bash` is refused: an `InputError` whose message is one line saying how
 * to make it work. `where` names what needs the shell (`bash`, or the `verify` and `setup` commands).
 */
export function shellSandbox(
  mode: SandboxMode,
  network: boolean,
  probe: SandboxProbe | undefined,
  where = '`bash` in `allowed-tools`',
  limits: ShellLimits = DEFAULT_LIMITS,
): { shell: ShellSandbox; warning?: string } {
  if (mode === 'none' || !probe) return { shell: { sandbox: 'none' }, warning: UNSANDBOXED_WARNING };
  if (!probe.available) {
    throw new InputError(`cannot run in its sandbox: ${probe.reason}`, where, `${probe.fix}, ${OPT_OUT}`);
  }
  return { shell: { sandbox: 'bwrap', bwrap: probe.bwrap, network, limits } };
}

/** Which switch keeps unprivileged programs from making user namespaces, and how to turn it. */
async function userNamespaceFix(procSys: string): Promise<string> {
  const read = async (name: string) =>
    (await readFile(path.join(procSys, name), 'utf8').catch(() => '')).trim();
  if ((await read('kernel/apparmor_restrict_unprivileged_userns')) === '1') {
    return (
      'AppArmor keeps unprivileged programs from making user namespaces here (Ubuntu 24.04 does by default): add a ' +
      'step that runs `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` before this one (or give bwrap ' +
      'an AppArmor profile that allows `userns`)'
    );
  }
  if ((await read('kernel/unprivileged_userns_clone')) === '0') {
    return 'Add a step that runs `sudo sysctl -w kernel.unprivileged_userns_clone=1` before this one';
  }
  if ((await read('user/max_user_namespaces')) === '0') {
    return 'Add a step that runs `sudo sysctl -w user.max_user_namespaces=10000` before this one';
  }
  return 'Allow unprivileged user namespaces on this runner (bubblewrap needs them)';
}

export interface SandboxedBashOptions {
  /** Absolute path of `bwrap`, as the probe found it. */
  bwrap: string;
  /** Share the runner's network; without it the shell has only a loopback of its own. */
  network: boolean;
  worktree: Pick<Worktree, 'path' | 'branch' | 'gitDir'>;
  /** The shell's own `HOME`, kept across restarts of the shell. */
  home: string;
  /** The shell's whole environment (an allowlist, see `shellEnvironment`). */
  env: Record<string, string>;
  /** What the shell may use; unbounded without. */
  limits?: ShellLimits;
  /** Told why, when the shell was stopped at one of its limits. */
  onLimit?: (reason: string) => void;
}

/**
 * The SDK's `bash` tool — its definition, persistent session, timeouts, output cap, restart and errors — with its
 * shell inside bubblewrap: its own PID namespace and `/proc`, the system read-only, only its worktree (and what git
 * needs to commit there) and its `HOME` writable, a private `/tmp`, none of the runner's other files, and nothing
 * left running once the tool is closed or the action exits.
 *
 * The SDK starts `/bin/bash` itself, so the sandbox is entered from `BASH_ENV`: a non-interactive bash runs that file
 * before it reads a command, and the file replaces the shell with `bwrap … /bin/bash`, which goes on reading the
 * SDK's commands from the same pipe. Killing the SDK's shell kills `bwrap`, and with it the sandbox's PID namespace:
 * every process in it, daemons included.
 */
export function sandboxedBashTool(options: SandboxedBashOptions): BetaRunnableTool {
  // Built only for its definition: the model sees the same tool as without a sandbox.
  const definition = betaBashTool({ workdir: options.worktree.path });
  let sandbox: Promise<Sandbox> | undefined;
  let closed = false;
  // Why the shell was stopped at a limit: every later call is refused with it.
  let stopped: string | undefined;
  return {
    ...definition,
    run: async (input, context) => {
      if (stopped) throw new ToolError(`bash: ${stopped}`);
      let ready: Sandbox;
      try {
        ready = await (sandbox ??= enterSandbox(options));
      } catch (error) {
        sandbox = undefined;
        // Never a shell without the sandbox.
        throw new ToolError(`bash: the sandbox could not be set up: ${messageOf(error)}`);
      }
      if (closed) throw new ToolError('bash: the shell was closed');
      let outcome: { result: Awaited<ReturnType<BetaRunnableTool['run']>> } | { error: unknown };
      try {
        outcome = { result: await ready.tool.run(input, context) };
      } catch (error) {
        outcome = { error };
      }
      // A command still running when the tool was closed may have started a new shell.
      if (closed) await ready.tool.close?.();
      else stopped = await stopAtLimit(ready, options.onLimit);
      if (stopped) throw new ToolError(`bash: ${stopped}`);
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    },
    close: async () => {
      closed = true;
      const ready = await sandbox?.catch(() => undefined);
      if (!ready) return;
      try {
        await ready.tool.close?.();
      } finally {
        await ready.guard?.release();
        await rm(ready.dir, { recursive: true, force: true });
      }
    },
  };
}

/** Why the shell must stop, if it went past a limit: then it is closed, with everything it runs, and `onLimit` told. */
async function stopAtLimit(
  ready: Sandbox,
  onLimit: ((reason: string) => void) | undefined,
): Promise<string | undefined> {
  const reason = await ready.guard?.check();
  if (!reason) return undefined;
  await ready.tool.close?.();
  onLimit?.(reason);
  return reason;
}

/** One bash tool's way into the sandbox: its private files, and the SDK's bash tool that starts shells there. */
interface Sandbox {
  dir: string;
  tool: BetaRunnableTool;
  /** The shell's limits, where it has any. */
  guard?: ShellGuard;
}

/** Writes the file that takes a new shell into the sandbox, and makes the SDK's bash tool that starts shells with it. */
async function enterSandbox(options: SandboxedBashOptions): Promise<Sandbox> {
  // Private to the runner user, outside everything the sandbox mounts.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'parallel-agents-shell-'));
  try {
    const args = await bwrapArgs(options, dir);
    const guard = options.limits
      ? await guardShell(options.limits, [options.worktree.path, options.home, dir])
      : undefined;
    const script = path.join(dir, 'enter-sandbox.sh');
    const lines = [
      // The sandbox goes first when the machine runs out of memory, never the action.
      'echo 1000 > /proc/self/oom_score_adj 2>/dev/null',
      // A shell that cannot take its limits does not start.
      ...(guard?.join ? [`{ ${guard.join}; } 2>/dev/null || exit 126`] : []),
      // `exec` failing ends the shell as well: it never goes on outside the sandbox.
      `exec ${args.map(shellQuote).join(' ')}`,
      'exit 126',
    ];
    await writeFile(script, `${lines.join('\n')}\n`, { mode: 0o600 });
    // The sandbox's environment is set by `bwrap`; the shell outside it gets nothing else.
    const tool = betaBashTool({ workdir: options.worktree.path, env: { BASH_ENV: script } });
    return guard ? { dir, tool, guard } : { dir, tool };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

// The system, read-only; a directory that is a link (merged /usr) stays a link.
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt'];
// Hidden even where /etc is visible; an unprivileged runner cannot read them anyway, root can.
const ETC_SECRETS = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'];
// Tool installs named by allowlisted variables, mounted read-only. CARGO_HOME and GOPATH are left unset in the
// sandbox instead: they hold caches (and cargo's registry token), so cargo and go use the shell's own HOME.
const TOOL_HOMES = ['JAVA_HOME', 'GOROOT', 'RUSTUP_HOME', 'PYENV_ROOT', 'NVM_DIR'];
const CACHE_HOMES = ['CARGO_HOME', 'GOPATH'];

async function bwrapArgs(options: SandboxedBashOptions, dir: string): Promise<string[]> {
  const worktree = await realpath(options.worktree.path);
  const home = await realpath(options.home);
  const git = await gitMounts(options.worktree, dir);
  // No capability even where the runner user is root (a self-hosted runner): as root the sandbox could otherwise
  // unmount what hides a file.
  const args = [options.bwrap, '--die-with-parent', '--new-session', '--unshare-all', '--cap-drop', 'ALL'];
  if (options.network) args.push('--share-net');

  const mounted: string[] = [];
  for (const system of SYSTEM_DIRS) {
    const info = await lstat(system).catch(() => undefined);
    if (info?.isSymbolicLink()) args.push('--symlink', await readlink(system), system);
    else if (info?.isDirectory()) {
      args.push('--ro-bind', system, system);
      mounted.push(system);
    }
  }
  for (const secret of ETC_SECRETS) {
    if (await exists(secret)) args.push('--ro-bind', '/dev/null', secret);
  }
  // On Ubuntu /etc/resolv.conf leads to /run, which is not mounted.
  const resolv = await realpath('/etc/resolv.conf').catch(() => undefined);
  if (options.network && resolv && !isUnder(resolv, mounted)) args.push('--ro-bind', resolv, resolv);
  for (const tools of await toolDirs(options.env, mounted, [worktree, home, git.repo])) {
    args.push('--ro-bind', tools, tools);
  }

  args.push('--proc', '/proc', '--dev', '/dev');
  // `/tmp` is memory: bounded, a full one fails the command that filled it, not the machine.
  if (options.limits && (await sizesTmpfs(options.bwrap)))
    args.push('--size', String(options.limits.tmpMb * MB));
  args.push('--tmpfs', '/tmp');
  args.push('--bind', worktree, worktree, '--bind', home, home);
  // After the worktree's: one of them covers its `.git` file.
  args.push(...git.args, '--chdir', worktree);

  args.push('--clearenv');
  const env: Record<string, string> = { ...options.env, HOME: home, TMPDIR: '/tmp' };
  for (const name of CACHE_HOMES) delete env[name];
  // What the SDK sets for its shell, which `--clearenv` dropped.
  Object.assign(env, { PS1: '', PS2: '', TERM: 'dumb' });
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  args.push('--', '/bin/bash', '--noprofile', '--norc');
  return args;
}

const MB = 1024 * 1024;
const sizing = new Map<string, Promise<boolean>>();

/** Whether this `bwrap` can size a tmpfs (`--size`, bubblewrap 0.7 and later), asked once. */
function sizesTmpfs(bwrap: string): Promise<boolean> {
  let known = sizing.get(bwrap);
  if (!known) {
    known = execFileAsync(bwrap, ['--help'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS }).then(
      ({ stdout }) => /^\s*--size\b/m.test(stdout),
      () => false,
    );
    sizing.set(bwrap, known);
  }
  return known;
}

/**
 * Directories of installed tools outside the system ones: each on `PATH` and each a tool variable names, read-only.
 * Never one that is or holds the runner user's home, the temp dir, the runner's temp dir or workspace, or the
 * directories of `ours` (repository, worktree, the shell's home); nor one inside the last four.
 */
async function toolDirs(env: Record<string, string>, mounted: string[], ours: string[]): Promise<string[]> {
  const inside = [process.env.RUNNER_TEMP, process.env.GITHUB_WORKSPACE, ...ours]
    .filter((d): d is string => Boolean(d))
    .map((d) => path.resolve(d));
  const holding = [os.homedir(), os.tmpdir(), ...inside].map((d) => path.resolve(d));
  const named = [...(env.PATH ?? '').split(':'), ...TOOL_HOMES.map((name) => env[name] ?? '')];
  const dirs: string[] = [];
  for (const entry of named) {
    if (!path.isAbsolute(entry)) continue;
    const real = await realpath(entry).catch(() => undefined);
    if (!real || !(await isDirectory(real))) continue;
    if (isUnder(real, [...mounted, ...dirs, ...inside]) || holding.some((d) => isUnder(d, [real]))) continue;
    dirs.push(real);
  }
  return dirs;
}

function isUnder(file: string, dirs: string[]): boolean {
  return dirs.some((dir) => file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
}

async function isDirectory(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}
