import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaBashTool } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import { runAgent } from '../../src/agents/agent.js';
import { systemPrompt } from '../../src/model/prompt.js';
import type { AgentResult } from '../../src/result.js';
import {
  probeSandbox,
  sandboxedBashTool,
  shellSandbox,
  UNSANDBOXED_WARNING,
  type SandboxProbe,
} from '../../src/sandbox/sandbox.js';
import { shellEnvironment } from '../../src/sandbox/shell-env.js';
import { Workspace, type Worktree } from '../../src/git/workspace.js';
import { InputError } from '../../src/errors.js';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import { git, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';

/** What the job's process holds and no shell command may ever print. */
const TOKENS = {
  GITHUB_TOKEN: 'ghs_decoyJobToken0001',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'decoy-oidc-request-token-0002',
  ACTIONS_RUNTIME_TOKEN: 'decoy-runtime-token-0003',
  'INPUT_ANTHROPIC-API-KEY': 'sk-ant-decoy-0004',
};
/** Persisted in the checkout's .git/config, the way actions/checkout and hand-made remotes do. */
const CONFIG_SECRETS = {
  header: 'AUTHORIZATION: basic ZGVjb3ktaGVhZGVyLTAwMDU=',
  password: 'ghs_decoyRemote0006',
};
const SECRETS = [...Object.values(TOKENS), CONFIG_SECRETS.header, CONFIG_SECRETS.password];
const FILE_COMMANDS = ['set_env', 'set_output', 'add_path', 'step_summary'];

let bwrap: string;
beforeAll(async () => {
  const probe = await probeSandbox();
  if (!probe.available) throw new Error(`these tests need a working bwrap: ${probe.reason}`);
  bwrap = probe.bwrap;
});

/** A runner mid-job: its temp dir with the file-command files, a checkout with credentials, and the action running. */
interface Runner {
  repo: string;
  workspace: Workspace;
  /** Path of each file-command file, by kind. */
  files: Record<string, string>;
  /** The action's process: its environment holds the job's tokens. */
  action: ChildProcess;
  homes: string;
}

const runners: Runner[] = [];
function runner(): Runner {
  const temp = tempDir('pa-runner-temp-');
  const commands = path.join(temp, '_runner_file_commands');
  fs.mkdirSync(commands);
  const files = Object.fromEntries(
    FILE_COMMANDS.map((kind) => {
      const file = path.join(commands, `${kind}_0f1e2d3c`);
      fs.writeFileSync(file, 'untouched\n');
      return [kind, file];
    }),
  );
  const repo = makeRepo({ 'README.md': '# Checkout\n' }, fs.mkdtempSync(path.join(temp, 'work-')));
  git(repo, 'config', 'http.https://github.com/.extraheader', CONFIG_SECRETS.header);
  git(repo, 'remote', 'add', 'origin', `https://x-access-token:${CONFIG_SECRETS.password}@github.com/o/r`);
  const action = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { PATH: process.env.PATH, ...TOKENS },
    stdio: 'ignore',
  });
  const made: Runner = {
    repo,
    workspace: new Workspace({ repo, root: path.join(temp, 'parallel-agents', 'worktrees') }),
    files,
    action,
    homes: path.join(temp, 'parallel-agents', 'homes'),
  };
  runners.push(made);
  return made;
}
afterAll(() => runners.forEach((r) => r.action.kill('SIGKILL')));

function homeFor(r: Runner, id: string): string {
  const home = path.join(r.homes, id);
  fs.mkdirSync(home, { recursive: true });
  return home;
}

function shell(r: Runner, worktree: Worktree, home: string, network = false): BetaRunnableTool {
  return sandboxedBashTool({
    bwrap,
    network,
    worktree,
    home,
    env: shellEnvironment(process.env, home),
  });
}

/** One tool call, as the tool runner makes it: a thrown ToolError is an error result with its content. */
async function call(tool: BetaRunnableTool, input: Record<string, unknown>) {
  try {
    return { isError: false, output: String(await tool.run(input)) };
  } catch (error) {
    return { isError: true, output: error instanceof ToolError ? String(error.content) : String(error) };
  }
}

/** Host processes whose command line starts with `marker`, zombies aside. */
function processesNamed(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** Commands that look for a token everywhere a same-user process could find one. */
function snooping(r: Runner): string[] {
  return [
    `cat /proc/*/environ | tr '\\0' '\\n'`,
    'ps axe',
    `test -e /proc/${r.action.pid} && echo "the action is visible" || echo "the action is hidden"`,
    'env',
    ...Object.values(r.files).map((file) => `cat ${file}`),
    `ls ${path.dirname(r.files.set_env!)}`,
    `cat ${r.repo}/.git/config`,
    'git config --list --show-origin',
    'git remote -v',
    // Root on a self-hosted runner could read it; in the sandbox it is empty, and no capability can unmount that.
    'cat /etc/shadow; umount /etc/shadow; cat /etc/shadow',
  ];
}

/** Commands that try to leave something for later steps, other agents or the checkout. */
function planting(r: Runner, own: Worktree, other: Worktree): string[] {
  const common = path.join(r.repo, '.git');
  return [
    `echo NODE_OPTIONS=--require=/tmp/x.js >> ${r.files.set_env}`,
    `echo /tmp/evil-bin >> ${r.files.add_path}`,
    `echo pwned=1 >> ${r.files.set_output}`,
    `echo '# pwned' >> ${r.files.step_summary}`,
    `echo planted > ${other.path}/planted.txt`,
    `echo planted >> ${other.path}/README.md`,
    `echo planted > ${r.repo}/planted.txt`,
    `echo planted >> ${r.repo}/README.md`,
    `echo '[core] fsmonitor = /tmp/x.sh' >> ${common}/config`,
    `echo 'touch /tmp/pwned' > ${common}/hooks/post-checkout`,
    `echo /tmp/evil > ${own.gitDir}/commondir`,
    `echo /tmp/objects > ${common}/objects/info/alternates`,
    `touch ${common}/objects/pack/planted.pack`,
    `git --git-dir=${common} update-ref refs/heads/main HEAD`,
    // Succeeds, in the sandbox's own git directory: the real branch stays where it is.
    `git update-ref refs/heads/${other.branch} HEAD`,
  ];
}

/**
 * Commands that try to change the repository's objects and refs: replace the blob of a file of the base commit under
 * its own hash (the way that got a second agent to commit an injected line), write objects into the shared store,
 * move another branch, push to the repository.
 */
function forging(r: Runner, other: Worktree): string[] {
  const common = path.join(r.repo, '.git');
  const blob = `"${common}/objects/$(git rev-parse HEAD:README.md | sed 's|^..|&/|')"`;
  return [
    // The injected blob, made in the agent's own object directory: this much works.
    `echo '# injected' | git hash-object -w --stdin > /tmp/injected`,
    `chmod u+w ${blob} && cat "$(git rev-parse --git-path objects)/$(sed 's|^..|&/|' /tmp/injected)" > ${blob}`,
    `rm -f ${blob}`,
    `echo '# injected' | git --git-dir=${common} hash-object -w --stdin`,
    `echo '# injected' | GIT_OBJECT_DIRECTORY=${common}/objects git hash-object -w --stdin`,
    `head -c 1048576 /dev/zero > ${common}/objects/junk`,
    `git --git-dir=${common} update-ref refs/heads/${other.branch} HEAD`,
    `git push -q ${common} HEAD:refs/heads/pushed`,
    `git push -q --force ${r.repo} "$(git -c user.name=A -c user.email=a@b commit-tree -m forged HEAD^{tree})":refs/heads/main`,
  ];
}

/**
 * The repository's objects as git and the disk hold them: every file under `.git/objects` with a hash of its bytes,
 * a hash of every object's content as git reads it, and what `git fsck` says.
 */
function objectStore(repo: string) {
  const objects = path.join(repo, '.git', 'objects');
  const files = fs
    .readdirSync(objects, { recursive: true, encoding: 'utf8' })
    .filter((file) => fs.statSync(path.join(objects, file)).isFile())
    .sort()
    .map((file) => `${file} ${sha256(fs.readFileSync(path.join(objects, file)))}`);
  const read = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { env: gitEnv(repo) });
  const fsck = spawnSync('git', ['-C', repo, 'fsck', '--full', '--strict', '--no-dangling'], {
    env: gitEnv(repo),
    encoding: 'utf8',
  });
  return {
    files,
    contents: sha256(read('cat-file', '--batch-all-objects', '--batch')),
    fsck: { status: fsck.status, said: `${fsck.stdout}${fsck.stderr}` },
  };
}

function gitEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What a planting command would have changed on the runner: the files as the test left them. */
function runnerState(r: Runner, other: Worktree) {
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  return {
    files: Object.values(r.files).map(read),
    other: [read(path.join(other.path, 'planted.txt')), read(path.join(other.path, 'README.md'))],
    checkout: [read(path.join(r.repo, 'planted.txt')), read(path.join(r.repo, 'README.md'))],
    config: read(path.join(r.repo, '.git/config')),
    hook: read(path.join(r.repo, '.git/hooks/post-checkout')),
    alternates: read(path.join(r.repo, '.git/objects/info/alternates')),
    packs: fs.readdirSync(path.join(r.repo, '.git/objects/pack')),
    branches: git(r.repo, 'rev-parse', 'refs/heads/main', `refs/heads/${other.branch}`),
  };
}

describe('the sandboxed bash tool', () => {
  it('reads no token: not from /proc, ps, the environment, the runner files or the git config', async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Snoop' });
    const home = homeFor(r, 'bac-1');
    const saved = { ...process.env };
    Object.assign(process.env, TOKENS, { GITHUB_ENV: r.files.set_env });
    try {
      const sandboxed = shell(r, worktree, home);
      // The same commands without the sandbox find the job's tokens: the test looks where they are.
      const bare = betaBashTool({ workdir: worktree.path, env: shellEnvironment(process.env, home) });
      const inside: string[] = [];
      const outside: string[] = [];
      for (const command of snooping(r)) {
        inside.push((await call(sandboxed, { command })).output);
        outside.push((await call(bare, { command })).output);
      }
      await sandboxed.close?.();
      await bare.close?.();

      expect(outside.join('\n')).toContain(TOKENS.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
      expect(outside.join('\n')).toContain(CONFIG_SECRETS.header);
      const said = inside.join('\n');
      for (const secret of SECRETS) expect(said).not.toContain(secret);
      expect(said).toContain('the action is hidden');
      expect(said).not.toMatch(/^root:/m);
      expect(said).not.toContain('untouched');
      // The remote is still there, without its password.
      expect(said).toContain('origin\thttps://github.com/o/r');
    } finally {
      process.env = saved;
    }
  });

  it("writes nothing outside its worktree: not the runner's files, another worktree, the checkout or its git", async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Plant' });
    const other = await r.workspace.create({ id: 'BAC-2', title: 'Victim' });
    const before = runnerState(r, other);
    const tool = shell(r, worktree, homeFor(r, 'bac-1'));

    const results = [];
    for (const command of planting(r, worktree, other)) results.push(await call(tool, { command }));
    await tool.close?.();

    expect(runnerState(r, other)).toEqual(before);
    // Only the writes to the checkout's directory succeed: in the sandbox it is an empty directory of its own.
    expect(results.map((result) => result.isError)).toEqual([
      ...[true, true, true, true],
      ...[true, true],
      ...[false, false],
      ...[true, true, true, true, true, true],
      false,
    ]);
  });

  it("runs nothing it plants in the repository's git when the action's own git commits its work", async () => {
    const marker = path.join(tempDir('pa-marker-'), 'ran');
    const plant = (common: string) => [
      `git config --file ${common}/config filter.planted.clean "sh -c 'echo outside > ${marker}; cat'"`,
      `mkdir -p ${common}/info && echo '* filter=planted' >> ${common}/info/attributes`,
    ];
    // The same plant made outside the sandbox runs at the action's commit: what this test looks for can happen.
    const control = runner();
    const exposed = await control.workspace.create({ id: 'BAC-1', title: 'Control' });
    for (const command of plant(path.join(control.repo, '.git'))) execFileSync('bash', ['-c', command]);
    fs.writeFileSync(path.join(exposed.path, 'work.txt'), 'work\n');
    await control.workspace.commit(exposed, 'BAC-1: Control');
    expect(fs.readFileSync(marker, 'utf8')).toBe('outside\n');
    fs.rmSync(marker);

    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Plant' });
    const tool = shell(r, worktree, homeFor(r, 'bac-1'));
    const results = [];
    for (const command of [...plant(path.join(r.repo, '.git')), 'echo work > work.txt'])
      results.push(await call(tool, { command }));
    await tool.close?.();
    const summary = await r.workspace.commit(worktree, 'BAC-1: Plant');

    expect(results.map((result) => result.isError)).toEqual([true, true, false]);
    expect(summary.filesChanged).toEqual(['work.txt']);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("changes none of the repository's objects or refs, while its own git commits in a directory of its own", async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Forge' });
    const other = await r.workspace.create({ id: 'BAC-2', title: 'Victim' });
    const refs = () => git(r.repo, 'for-each-ref', '--format=%(refname) %(objectname)');
    const before = { refs: refs(), objects: objectStore(r.repo) };
    expect(before.objects.fsck).toEqual({ status: 0, said: '' });
    const tool = shell(r, worktree, homeFor(r, 'bac-1'));

    const results = [];
    for (const command of [
      ...forging(r, other),
      'echo "# mine" > README.md && git -c user.name=A -c user.email=a@b commit -qam "Its own commit" && git log --format=%s',
    ])
      results.push(await call(tool, { command }));
    await tool.close?.();

    expect(results.map((result) => result.isError)).toEqual([
      false,
      ...[true, true, true, true, true, true, true, true],
      false,
    ]);
    expect(results.at(-1)!.output).toBe('Its own commit\ninitial');
    // The objects themselves, not only the files that hold them.
    expect({ refs: refs(), objects: objectStore(r.repo) }).toEqual(before);

    // A second agent, started after the first, that only edits the file commits only its edit.
    const second = await r.workspace.create({ id: 'BAC-3', title: 'Edit' });
    fs.appendFileSync(path.join(second.path, 'README.md'), 'edited\n');
    const edit = await r.workspace.commit(second, 'BAC-3: Edit');
    expect(git(r.repo, 'show', `${edit.commit}:README.md`)).toBe('# Checkout\nedited');
    // The first agent's work reaches its branch from its working tree, hashed by the action's own git.
    const own = await r.workspace.commit(worktree, 'BAC-1: Forge');
    expect(git(r.repo, 'log', '--format=%s', worktree.branch).split('\n')).toEqual([
      'BAC-1: Forge',
      'initial',
    ]);
    expect(git(r.repo, 'show', `${own.commit}:README.md`)).toBe('# mine');
    expect(objectStore(r.repo).fsck).toEqual({ status: 0, said: '' });
  });

  it('leaves no process behind once closed, backgrounded, setsid or nohup daemons included', async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Daemons' });
    const tool = shell(r, worktree, homeFor(r, 'bac-1'));
    const marker = `pa-daemon-${process.pid}-${Date.now()}`;

    const started = await call(tool, {
      command: [
        `(exec -a ${marker} sleep 1000) &`,
        `setsid bash -c 'exec -a ${marker} sleep 1000' &`,
        `nohup bash -c "trap '' HUP TERM; exec -a ${marker} sleep 1000" >/dev/null 2>&1 &`,
        'disown -a; echo started',
      ].join('\n'),
    });
    expect(started).toEqual({ isError: false, output: 'started' });
    expect(await eventually(() => processesNamed(marker).length === 3)).toBe(true);

    await tool.close?.();
    expect(await eventually(() => processesNamed(marker).length === 0)).toBe(true);
  });

  it("runs git in the worktree, and the action's own commit works after it", async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Commit' });
    const tool = shell(r, worktree, homeFor(r, 'bac-1'));

    const steps = [
      'git status --short --branch',
      'echo from the shell > shell.txt && git add shell.txt',
      'git -c user.name=Agent -c user.email=agent@example.com commit -qm "From the shell" && git log --format=%s',
      'echo not committed yet > later.txt',
      // Would have the action's commit land on main.
      'git symbolic-ref HEAD refs/heads/main',
    ];
    const results = [];
    for (const command of steps) results.push(await call(tool, { command }));
    await tool.close?.();

    expect(results.map((result) => result.isError)).toEqual([false, false, false, false, false]);
    expect(results[0]!.output).toBe('## parallel-agents/bac-1-commit');
    expect(results[2]!.output).toBe('From the shell\ninitial');
    const summary = await r.workspace.commit(worktree, 'BAC-1: Commit');
    expect(summary).toMatchObject({ filesChanged: ['later.txt', 'shell.txt'], insertions: 2, deletions: 0 });
    // The shell's commits stay in its own git: the branch gets the working tree, committed by the action.
    expect(git(r.repo, 'log', '--format=%s', worktree.branch).split('\n')).toEqual([
      'BAC-1: Commit',
      'initial',
    ]);
    expect(git(r.repo, 'rev-parse', 'main')).toBe(worktree.base);
  });

  it('has only a loopback of its own with the network off, and the runner’s with it on', async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Network' });
    const home = homeFor(r, 'bac-1');
    const heard: string[] = [];
    const server = net.createServer((socket) => socket.on('data', (d) => heard.push(String(d).trim())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const command = `echo hello > /dev/tcp/127.0.0.1/${port} && echo sent`;
      const off = shell(r, worktree, home, false);
      const on = shell(r, worktree, home, true);
      const results = [await call(off, { command }), await call(on, { command })];
      await off.close?.();
      await on.close?.();

      expect(results[0]!.isError).toBe(true);
      expect(results[0]!.output).toContain('Connection refused');
      expect(results[1]).toEqual({ isError: false, output: 'sent' });
      expect(await eventually(() => heard.includes('hello'))).toBe(true);
    } finally {
      server.close();
    }
  });

  it("is the SDK's bash tool to the model: same definition, output, errors, timeout, state and restart", async () => {
    const r = runner();
    const worktree = await r.workspace.create({ id: 'BAC-1', title: 'Same tool' });
    const home = homeFor(r, 'bac-1');
    const sandboxed = shell(r, worktree, home);
    const sdk = betaBashTool({ workdir: worktree.path, env: shellEnvironment(process.env, home) });
    const calls = [
      { command: 'echo hello' },
      { command: 'false' },
      { command: 'echo out; echo err >&2; exit 2' },
      { command: 'mkdir -p sub && cd sub && export GREETING=hi' },
      { command: 'echo "$GREETING from $(basename "$PWD")"' },
      { command: 'sleep 5', timeout_ms: 300 },
      { command: 'echo "${GREETING:-gone} in $(basename "$PWD")"' },
      { command: 'cd sub' },
      { restart: true },
      { command: 'basename "$PWD"' },
      {},
      { command: 'exit 3' },
      { command: 'seq 1 200000 | wc -l' },
    ];
    const inside = [];
    const outside = [];
    for (const input of calls) {
      inside.push(await call(sandboxed, input));
      outside.push(await call(sdk, input));
    }
    await sandboxed.close?.();
    await sdk.close?.();

    const { run: _r1, close: _c1, parse: _p1, ...definition } = sandboxed;
    const { run: _r2, close: _c2, parse: _p2, ...sdkDefinition } = sdk;
    expect(definition).toEqual(sdkDefinition);
    expect(inside).toEqual(outside);
    expect(inside[5]).toEqual({ isError: true, output: 'bash: bash command timed out after 300ms' });
    expect(inside[8]).toEqual({ isError: false, output: 'bash session restarted' });
  });
});

describe('choosing the shell', () => {
  const missing: SandboxProbe = {
    available: false,
    reason: 'bubblewrap (`bwrap`) is not installed',
    fix: 'x',
  };

  it('finds a working bwrap on this runner, quickly', async () => {
    const started = Date.now();
    const probe = await probeSandbox();
    expect(probe).toEqual({ available: true, bwrap: expect.stringMatching(/\/bwrap$/) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(shellSandbox('auto', false, probe)).toEqual({
      shell: {
        sandbox: 'bwrap',
        bwrap: (probe as { bwrap: string }).bwrap,
        network: false,
        limits: { memoryMb: 2048, processes: 256, tmpMb: 512, diskMb: 2048 },
      },
    });
  });

  it('refuses bash with one line saying how to install bwrap when it is not on PATH', async () => {
    const probe = await probeSandbox({ env: { PATH: tempDir('pa-empty-path-') } });
    expect(probe).toMatchObject({ available: false });
    const refusal = refusalOf(() => shellSandbox('auto', true, probe));
    expect(refusal).toBe(
      '`bash` in `allowed-tools`: cannot run in its sandbox: bubblewrap (`bwrap`) is not installed. Add a step that ' +
        'runs `sudo apt-get install -y bubblewrap` before this one, or set `sandbox: none` to run it without one',
    );
  });

  it("refuses bash with one line naming Ubuntu's AppArmor rule when bwrap cannot make its namespaces", async () => {
    const dir = tempDir('pa-blocked-');
    const blocked = path.join(dir, 'bwrap');
    fs.writeFileSync(
      blocked,
      '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const procSys = path.join(dir, 'sys');
    fs.mkdirSync(path.join(procSys, 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(procSys, 'kernel/apparmor_restrict_unprivileged_userns'), '1\n');

    const probe = await probeSandbox({ bwrap: blocked, procSys });
    const line = refusalOf(() => shellSandbox('auto', true, probe));
    expect(line).toContain(
      'bubblewrap cannot start a sandbox here (bwrap: setting up uid map: Permission denied)',
    );
    expect(line).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(line).toContain('set `sandbox: none`');
  });

  it('runs bash unsandboxed with `sandbox: none`, and says so in one line', () => {
    expect(shellSandbox('none', true, missing)).toEqual({
      shell: { sandbox: 'none' },
      warning: UNSANDBOXED_WARNING,
    });
    expect(UNSANDBOXED_WARNING).not.toContain('\n');
    expect(UNSANDBOXED_WARNING).toContain('without a sandbox');
  });
});

/** The message of the InputError `refuse` throws, checked to be one line. */
function refusalOf(refuse: () => unknown): string {
  try {
    refuse();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    const message = (error as InputError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('bash was not refused');
}

describe('an agent with the sandboxed shell', () => {
  let server: MessagesServer;
  beforeAll(async () => {
    server = await startMessagesServer();
  });
  afterAll(() => server.close());

  it('reads no token, writes nothing outside, leaves nothing running, and its work is committed', async () => {
    const r = runner();
    // Another agent's worktree, made first so this one can aim at it.
    const other = await r.workspace.create({ id: 'BAC-2', title: 'Victim' });
    const before = runnerState(r, other);
    const marker = `pa-agent-daemon-${process.pid}-${Date.now()}`;
    const commands = [
      ...snooping(r),
      ...planting(r, { gitDir: path.join(r.repo, '.git', 'worktrees', 'bac-1') } as Worktree, other),
      // Answers once the daemon runs under its name, so the test can see it on the runner before the agent ends.
      `setsid bash -c 'exec -a ${marker} sleep 1000' & disown
      until [ "$(ps -o args= -p $! | cut -d' ' -f1)" = ${marker} ]; do sleep 0.05; done; echo daemon started`,
      'echo "committed by the agent" > own.txt && git add own.txt',
      'git -c user.name=Agent -c user.email=agent@example.com commit -qm "Its own commit"',
      'echo "done by the agent" > result.txt',
    ];
    server.setScripts({
      'BAC-1': [
        { tools: commands.map((command) => ({ name: 'bash', input: { command } })) },
        { text: 'Tried everything.' },
      ],
    });
    const events = new EventStream();
    const seen: AgentEvent[] = [];
    events.on((e) => isAgentEvent(e) && seen.push(e));
    const saved = { ...process.env };
    Object.assign(process.env, TOKENS);
    let result: AgentResult | undefined;
    let daemonSeen = false;
    events.on((e) => {
      if (e.type === 'tool-result' && e.output === 'daemon started')
        daemonSeen = processesNamed(marker).length > 0;
    });
    // The agent starts its worktree's removal and leaves it to finish.
    let removal: Promise<void> | undefined;
    try {
      result = await runAgent({
        client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
        task: { id: 'BAC-1', title: 'Escape', prompt: 'get out', dependsOn: [], paths: [] },
        system: systemPrompt('', ''),
        model: 'claude-sonnet-4-6',
        maxTurns: 5,
        timeoutMs: 60_000,
        tools: ['read', 'bash'],
        workspace: {
          create: (task) => r.workspace.create(task),
          commit: (tree, message) => r.workspace.commit(tree, message),
          push: async () => ({ pushed: false, reason: 'no origin here' }),
          remove: (tree) => (removal = r.workspace.remove(tree)),
        },
        events,
        homeRoot: r.homes,
        shell: { sandbox: 'bwrap', bwrap, network: false },
      });
    } finally {
      process.env = saved;
    }

    const outputs = seen.flatMap((e) => (e.type === 'tool-result' ? [e.output] : []));
    expect(outputs).toHaveLength(commands.length);
    for (const secret of SECRETS) expect(outputs.join('\n')).not.toContain(secret);
    expect(runnerState(r, other)).toEqual(before);
    expect(daemonSeen).toBe(true);
    expect(processesNamed(marker)).toEqual([]);
    expect(result).toMatchObject({ status: 'succeeded', filesChanged: ['own.txt', 'result.txt'] });
    expect(git(r.repo, 'log', '--format=%s', result!.branch).split('\n')).toEqual([
      'BAC-1: Escape',
      'initial',
    ]);
    expect(git(r.repo, 'show', `${result!.branch}:result.txt`)).toBe('done by the agent');
    // The worktree is removed once its work is on the branch, as without the sandbox.
    await removal;
    expect(fs.existsSync(path.join(r.workspace.root, 'bac-1'))).toBe(false);
  });
});
