import fs from 'node:fs';
import path from 'node:path';
import { readySandbox } from '../../src/sandbox/hosted-runner.js';
import { shellSandbox } from '../../src/sandbox/sandbox.js';
import { InputError } from '../../src/errors.js';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';
import { REAL_BWRAP, ubuntuRunner, type UbuntuRunner } from '../../support/ubuntu-runner.js';

const RESTRICTION = 'kernel.apparmor_restrict_unprivileged_userns';

/** `readySandbox` on the stand-in runner, with the lines it logs. */
async function ready(runner: UbuntuRunner, environment: string | undefined, timeoutMs?: number) {
  const lines: string[] = [];
  const env = { PATH: runner.path, ...(environment ? { RUNNER_ENVIRONMENT: environment } : {}) };
  const probe = await readySandbox({ env, log: (line) => lines.push(line), timeoutMs });
  return { probe, lines };
}

function profileFor(bwrap: string): string {
  return `abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile bwrap ${bwrap} flags=(unconfined) {\n  userns,\n}\n`;
}

beforeAll(() => {
  expect(fs.existsSync(REAL_BWRAP)).toBe(true);
});

describe('the sandbox on a GitHub-hosted runner', () => {
  it('installs bubblewrap, loads a profile for bwrap alone, says so in one line, and the sandbox starts', async () => {
    const runner = ubuntuRunner({ bwrap: 'missing' });
    const bwrap = path.join(runner.bin, 'bwrap');

    const { probe, lines } = await ready(runner, 'github-hosted');

    expect(probe).toEqual({ available: true, bwrap });
    expect(runner.sudoCalls()).toEqual([
      'apt-get install -y bubblewrap',
      'apt-get update',
      'apt-get install -y bubblewrap',
      expect.stringMatching(/^apparmor_parser -r \/\S+\/bwrap$/),
    ]);
    expect(runner.loadedProfile()).toBe(profileFor(bwrap));
    expect(runner.lifted()).toBe('profile');
    expect(lines).toEqual([
      'Shell sandbox: on this GitHub-hosted runner bubblewrap was missing and AppArmor kept bwrap from making user ' +
        "namespaces (Ubuntu's default), so the action installed bubblewrap (`sudo apt-get install -y bubblewrap`) " +
        `and loaded an AppArmor profile that lets ${bwrap} alone make user namespaces, for this job`,
    ]);
  });

  it('turns the sysctl off only when no profile can be loaded, and says why', async () => {
    const runner = ubuntuRunner({ bwrap: 'installed', profile: 'refused' });

    const { probe, lines } = await ready(runner, 'github-hosted');

    expect(probe).toMatchObject({ available: true });
    expect(runner.sudoCalls()).toEqual([
      expect.stringMatching(/^apparmor_parser -r /),
      `sysctl -w ${RESTRICTION}=0`,
    ]);
    expect(runner.lifted()).toBe('sysctl');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      "Shell sandbox: on this GitHub-hosted runner AppArmor kept bwrap from making user namespaces (Ubuntu's " +
        `default), so the action turned the restriction off for every program (\`sysctl ${RESTRICTION}=0\`), ` +
        'since a profile for bwrap alone could not be loaded (apparmor_parser: Unable to replace "bwrap".  ' +
        'Permission denied; attempted to load a profile while confined?), for this job',
    );
  });

  it('refuses bash in one line naming what it tried when sudo asks for a password', async () => {
    const runner = ubuntuRunner({ bwrap: 'installed', sudo: 'refused' });

    const { probe, lines } = await ready(runner, 'github-hosted');

    expect(lines).toEqual([]);
    expect(runner.lifted()).toBeUndefined();
    expect(probe).toMatchObject({ available: false });
    const refusal = messageOf(() => shellSandbox('auto', true, probe));
    expect(refusal).not.toContain('\n');
    expect(refusal).toContain('setting up uid map: Permission denied');
    expect(refusal).toContain(
      'the action could not change that: `sudo apparmor_parser`: sudo: a password is required; ' +
        `\`sudo sysctl -w ${RESTRICTION}=0\`: sudo: a password is required`,
    );
  });

  it('gives up on an apt-get that does not answer once its time is up', async () => {
    const runner = ubuntuRunner({ bwrap: 'missing', aptGet: 'hangs' });
    const started = Date.now();

    const { probe, lines } = await ready(runner, 'github-hosted', 1000);

    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines).toEqual([]);
    expect(probe).toMatchObject({
      available: false,
      reason:
        'bubblewrap (`bwrap`) is not installed; the action could not change that: `sudo apt-get install -y ' +
        'bubblewrap`: no answer in 1 s, and `sudo apt-get update`: out of time',
    });
  });
});

describe('the sandbox on a self-hosted runner', () => {
  it.each([['self-hosted'], [undefined]])(
    'with RUNNER_ENVIRONMENT %s, changes nothing and leaves the fix to the refusal',
    async (environment) => {
      const runner = ubuntuRunner({ bwrap: 'installed' });

      const { probe, lines } = await ready(runner, environment);

      expect(probe).toMatchObject({
        available: false,
        reason: 'bubblewrap cannot start a sandbox here (bwrap: setting up uid map: Permission denied)',
      });
      expect(lines).toEqual([]);
      expect(runner.sudoCalls()).toEqual([]);
      expect(runner.lifted()).toBeUndefined();
    },
  );
});

describe('the built action on a runner like GitHub-hosted Ubuntu 24.04', () => {
  beforeAll(() => {
    expect(fs.existsSync(DIST)).toBe(true);
  });

  /** Runs one agent whose one shell command says what process 1 is: `bwrap` inside the sandbox. */
  async function runShell(runner: UbuntuRunner, environment: string) {
    const server = await startMessagesServer({
      recordBodies: true,
      scripts: {
        'BAC-1': [
          // Builtins only: the shell's PATH leads to links under the host's /tmp, which the sandbox hides.
          {
            tools: [{ name: 'bash', input: { command: 'read -r one < /proc/1/comm; echo "pid 1 is $one"' } }],
          },
          { text: 'Looked.' },
        ],
      },
    });
    try {
      const run = await runAction({
        workspace: makeRepo({ 'README.md': '# Checkout\n' }),
        inputs: {
          'anthropic-api-key': 'sk-ant-api03-hostedRunner000000000000',
          'anthropic-base-url': server.url,
          tasks: '- BAC-1: Look around',
          'allowed-tools': 'read,bash',
        },
        env: { PATH: runner.path, RUNNER_ENVIRONMENT: environment },
      });
      return { run, sent: JSON.stringify(server.requests.map((r) => r.body)) };
    } finally {
      await server.close();
    }
  }

  it('makes the sandbox work on its own, and the shell runs in it', async () => {
    const runner = ubuntuRunner({ bwrap: 'missing' });

    const { run, sent } = await runShell(runner, 'github-hosted');

    expect(run.code).toBe(0);
    expect(run.outputs.succeeded).toBe('1');
    expect(sent).toContain('pid 1 is bwrap');
    const said = run.stdout.split('\n').filter((line) => line.includes('Shell sandbox:'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^Shell sandbox: .*installed bubblewrap .* and loaded an AppArmor profile/);
    expect(runner.lifted()).toBe('profile');
    expect(runner.sudoCalls()).toHaveLength(4);
  });

  it('on a self-hosted runner, changes nothing and fails in one line naming the fix', async () => {
    const runner = ubuntuRunner({ bwrap: 'installed' });

    const { run, sent } = await runShell(runner, 'self-hosted');

    expect(run.code).toBe(1);
    expect(sent).toBe('[]');
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toEqual([
      expect.stringMatching(
        /^::error::`bash` in `allowed-tools`: cannot run in its sandbox: bubblewrap cannot start a sandbox here \(bwrap: setting up uid map: Permission denied\)\. .*, or set `sandbox: none` to run it without one$/,
      ),
    ]);
    expect(run.stdout).not.toContain('Shell sandbox:');
    expect(runner.sudoCalls()).toEqual([]);
    expect(runner.lifted()).toBeUndefined();
  });
});

function messageOf(refuse: () => unknown): string {
  try {
    refuse();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('bash was not refused');
}
