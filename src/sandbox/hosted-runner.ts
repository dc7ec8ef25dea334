import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { messageOf } from '../errors.js';
import { commandsUntil, type Commands } from './commands.js';
import { probeSandbox, type SandboxProbe } from './sandbox.js';

export interface ReadySandboxOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the one line saying what was changed on the runner goes. */
  log: (line: string) => void;
  /** How long installing and lifting may take together; 3 minutes when absent. */
  timeoutMs?: number;
}

const RESTRICTION = 'kernel.apparmor_restrict_unprivileged_userns';
const INSTALL = ['apt-get', 'install', '-y', 'bubblewrap'];

/**
 * The sandbox probe, after making the sandbox work where that is the action's to do. On a GitHub-hosted Linux runner
 * (a machine for this job alone) where bubblewrap cannot start, it installs bubblewrap if it is missing and lets
 * `bwrap` make user namespaces despite AppArmor, says in one line what it changed and why, and probes again. Any
 * other runner is left as it is: the probe's answer names the fix. Never throws.
 */
export async function readySandbox(options: ReadySandboxOptions): Promise<SandboxProbe> {
  const env = options.env ?? process.env;
  const probe = await probeSandbox({ env });
  if (probe.available || env.RUNNER_ENVIRONMENT !== 'github-hosted' || os.platform() !== 'linux') {
    return probe;
  }
  const commands = commandsUntil(Date.now() + (options.timeoutMs ?? 180_000), env.PATH ?? '');
  const done = { changed: [] as string[], why: [] as string[], failed: [] as string[] };
  const after = await lift(probe, commands, env, done).catch((error: unknown) => {
    done.failed.push(messageOf(error));
    return probe;
  });
  if (done.changed.length > 0) {
    options.log(
      `Shell sandbox: on this GitHub-hosted runner ${done.why.join(' and ')}, so the action ` +
        `${done.changed.join(' and ')}, for this job`,
    );
  }
  if (after.available || done.failed.length === 0) return after;
  return { ...after, reason: `${after.reason}; the action could not change that: ${done.failed.join('; ')}` };
}

interface Done {
  /** What was changed on the runner, and why, for the log line. */
  changed: string[];
  why: string[];
  /** What was tried and refused, for the refusal. */
  failed: string[];
}

async function lift(
  probe: SandboxProbe,
  commands: Commands,
  env: NodeJS.ProcessEnv,
  done: Done,
): Promise<SandboxProbe> {
  if (!probe.available && !probe.bwrap) {
    const failure = await installBubblewrap(commands);
    if (failure) {
      done.failed.push(failure);
      return probe;
    }
    done.changed.push('installed bubblewrap (`sudo apt-get install -y bubblewrap`)');
    done.why.push('bubblewrap was missing');
    probe = await probeSandbox({ env });
  }
  if (probe.available || !probe.bwrap) return probe;
  // The one restriction the action lifts; any other reason is left to the probe's fix.
  const restricted = await commands.run(['sysctl', '-n', RESTRICTION]);
  if (restricted.output !== '1') return probe;
  done.why.push("AppArmor kept bwrap from making user namespaces (Ubuntu's default)");

  // The kernel attaches a profile to the program's real path.
  const bwrap = await realpath(probe.bwrap);
  const profile = await loadProfile(bwrap, commands);
  if (!profile) {
    const after = await probeSandbox({ env });
    done.changed.push(`loaded an AppArmor profile that lets ${bwrap} alone make user namespaces`);
    if (after.available) return after;
  }
  const sysctl = await commands.sudo(['sysctl', '-w', `${RESTRICTION}=0`]);
  if (!sysctl.ok) {
    if (profile) done.failed.push(`\`sudo apparmor_parser\`: ${profile}`);
    done.failed.push(`\`sudo sysctl -w ${RESTRICTION}=0\`: ${sysctl.output}`);
    return probeSandbox({ env });
  }
  const instead = profile ? `, since a profile for bwrap alone could not be loaded (${profile})` : '';
  done.changed.push(`turned the restriction off for every program (\`sysctl ${RESTRICTION}=0\`)${instead}`);
  return probeSandbox({ env });
}

/** Installs the package, refreshing the package lists once if they do not have it. Undefined when it worked. */
async function installBubblewrap(commands: Commands): Promise<string | undefined> {
  const first = await commands.sudo(INSTALL);
  if (first.ok) return undefined;
  const update = await commands.sudo(['apt-get', 'update']);
  const install = update.ok ? await commands.sudo(INSTALL) : first;
  if (install.ok) return undefined;
  const refresh = update.ok ? '' : `, and \`sudo apt-get update\`: ${update.output}`;
  return `\`sudo apt-get install -y bubblewrap\`: ${install.output}${refresh}`;
}

/**
 * Loads, for as long as the machine runs, the profile Ubuntu ships for other programs that need user namespaces:
 * unconfined, but allowed `userns`, attached to this `bwrap` alone. Undefined when it worked, else why not.
 */
async function loadProfile(bwrap: string, commands: Commands): Promise<string | undefined> {
  // An attachment is a path pattern: one with other characters would need quoting and escaping.
  if (!/^[\w./+-]+$/.test(bwrap)) return `no profile is written for a path like ${bwrap}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'parallel-agents-apparmor-'));
  try {
    const file = path.join(dir, 'bwrap');
    await writeFile(file, bwrapProfile(bwrap));
    const loaded = await commands.sudo(['apparmor_parser', '-r', file]);
    return loaded.ok ? undefined : loaded.output;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function bwrapProfile(bwrap: string): string {
  return [
    'abi <abi/4.0>,',
    'include <tunables/global>',
    '',
    `profile bwrap ${bwrap} flags=(unconfined) {`,
    '  userns,',
    '}',
    '',
  ].join('\n');
}
