import { spawn } from 'node:child_process';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { runAgent, type AgentOptions } from '../../src/agents/agent.js';
import { systemPrompt } from '../../src/model/prompt.js';
import type { AgentResult } from '../../src/result.js';
import { probeSandbox, type ShellSandbox } from '../../src/sandbox/sandbox.js';
import type { Checks } from '../../src/checks.js';
import { Workspace } from '../../src/git/workspace.js';
import { EventStream, isAgentEvent, type AgentEvent } from '../../src/events.js';
import { formatEvent } from '../../src/report/live-log.js';
import { DEMO_TEST_COMMAND as VERIFY, demoRepo as demoRepoIn } from '../../support/demo.js';
import { git, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import type { Scripts } from '../../support/script.js';

const BROKEN = 'provider.modelPrefixes.some((prefix) => model.endsWith(prefix))';
const FIXED = 'provider.modelPrefixes.some((prefix) => model.startsWith(prefix))';
const ORIGINAL = 'provider.modelPrefixes.some((prefix) => model.startsWith)';

/** BAC-124 on the demo repository: a first change that breaks its tests, then the fix once it is told so. */
const BREAKS_THEN_FIXES: Scripts = {
  'BAC-124': [
    {
      text: 'Calling startsWith properly.',
      tools: [
        { name: 'edit', input: { file_path: 'src/router.js', old_string: ORIGINAL, new_string: BROKEN } },
      ],
    },
    { text: 'Fixed the predicate.' },
    // The fix-up round: the failing output is in the request that asks for this turn.
    {
      text: 'endsWith was wrong: prefixes are at the start.',
      tools: [{ name: 'edit', input: { file_path: 'src/router.js', old_string: BROKEN, new_string: FIXED } }],
    },
    { text: 'Fixed: the router matches prefixes with startsWith(prefix).' },
  ],
};

let bwrap: string;
let server: MessagesServer;
beforeAll(async () => {
  const probe = await probeSandbox();
  if (!probe.available) throw new Error(`these tests need a working bwrap: ${probe.reason}`);
  bwrap = probe.bwrap;
  server = await startMessagesServer({ recordBodies: true });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** A git repository holding a copy of examples/demo-repo, with `extra` files committed beside it. */
const demoRepo = (extra: Record<string, string> = {}) => demoRepoIn(tempDir('pa-demo-'), extra);

function checks(overrides: Partial<Checks> = {}): Checks {
  return { setup: '', verify: VERIFY, verifyTimeoutMs: 60_000, verifyRetries: 1, ...overrides };
}

async function runOn(
  repo: string,
  overrides: Partial<AgentOptions> = {},
): Promise<{ result: AgentResult; seen: AgentEvent[] }> {
  const events = new EventStream();
  const seen: AgentEvent[] = [];
  events.on((e) => isAgentEvent(e) && seen.push(e));
  const shell: ShellSandbox = { sandbox: 'bwrap', bwrap, network: false };
  const result = await runAgent({
    client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
    task: {
      id: 'BAC-124',
      title: 'Fix model routing',
      prompt: 'claude-* goes to OpenAI',
      dependsOn: [],
      paths: [],
    },
    system: systemPrompt('', ''),
    model: 'claude-sonnet-4-6',
    maxTurns: 10,
    timeoutMs: 60_000,
    tools: ['read', 'edit'],
    workspace: new Workspace({ repo, root: path.join(tempDir(), 'worktrees') }),
    events,
    homeRoot: path.join(tempDir(), 'homes'),
    shell,
    checks: checks(),
    ...overrides,
  });
  return { result, seen };
}

/** The text of a request body's messages, as the model reads them. */
function textOf(body: unknown): string {
  const { messages } = body as { messages: { content: unknown }[] };
  return JSON.stringify(messages);
}

describe('verify', () => {
  it("shows a change that breaks the repository's tests as failed verification, sends the failing output back in the same thread, and shows the fix verified", async () => {
    server.setScripts(BREAKS_THEN_FIXES);
    const repo = demoRepo();
    const { result, seen } = await runOn(repo);

    const checksSeen = seen.flatMap((e) => (e.type === 'check' ? [e] : []));
    expect(checksSeen.map((e) => [e.check, e.attempt, e.run.exitCode, e.fixUp])).toEqual([
      ['verify', 1, 1, 1],
      ['verify', 2, 0, undefined],
    ]);
    const lines = checksSeen.map((e) => formatEvent(e));
    expect(lines[0]).toMatch(
      /^\[BAC-124\] ❌ failed verification: `node --test --test-reporter=spec` exited 1 after .*fix-up 1/,
    );
    expect(lines[0]).toMatch(/exited 1 after [\d.]+ s: ✖ /);
    expect(lines[1]).toMatch(/^\[BAC-124\] ✅ verified: `node --test --test-reporter=spec` passed in /);

    expect(result).toMatchObject({
      status: 'succeeded',
      turns: 4,
      verification: { passed: true, fixUps: 1 },
      filesChanged: ['src/router.js'],
    });
    expect(result.verification!.runs[0]!.outputTail).toContain('routes gpt-* models to openai');
    expect(git(repo, 'show', `${result.branch}:src/router.js`)).toContain(FIXED);

    // One fix-up turn: the request after the agent said it was done continues its thread with one new message, the
    // failing output, and nothing else.
    const answered = server.requests.filter((r) => r.status === 200);
    expect(answered.map((r) => r.thread)).toEqual(['create', 'continue', 'continue', 'continue']);
    const fixUp = answered[2]!;
    expect(fixUp.previousMessageId).toBe(answered[1]!.messageId);
    expect(fixUp.messages).toBe(1);
    const said = textOf(fixUp.body);
    expect(said).toContain(`\`${VERIFY}\``);
    expect(said).toContain('exited with code 1');
    expect(said).toContain('✖ failing tests:');
    expect(said).toContain('routes gpt-* models to openai');
    // The prompt cache still serves the conversation: the fix-up request reads it.
    expect(fixUp.usage!.cache_read_input_tokens).toBeGreaterThan(0);
  });

  it('ends a task whose work still fails its check as failed verification, never succeeded', async () => {
    server.setScripts(BREAKS_THEN_FIXES);
    const repo = demoRepo();
    const { result } = await runOn(repo, { checks: checks({ verifyRetries: 0 }) });

    expect(result.status).toBe('failed-verification');
    expect(result.error).toBe(`verify \`${VERIFY}\` exited 1`);
    expect(result.verification).toMatchObject({ passed: false, fixUps: 0, runs: [{ exitCode: 1 }] });
    expect(server.requests.filter((r) => r.status === 200)).toHaveLength(2);
    const ended = formatEvent({ type: 'ended', task: 'BAC-124', at: 0, result });
    expect(ended).toMatch(/failed verification in .*: verify `node --test --test-reporter=spec` exited 1$/);
    // The work is kept on its branch, marked as not done.
    expect(git(repo, 'log', '-1', '--format=%s', result.branch)).toBe(
      'BAC-124: Fix model routing (failed-verification, partial)',
    );
  });

  it('runs no verify on an agent that did not finish', async () => {
    server.setScripts({ 'BAC-124': BREAKS_THEN_FIXES['BAC-124']!.slice(0, 1) });
    const { result, seen } = await runOn(demoRepo(), { maxTurns: 1 });
    expect(result.status).toBe('turn-limit');
    expect(result.verification).toBeUndefined();
    expect(seen.some((e) => e.type === 'check')).toBe(false);
  });

  it('records a check that outlives verify-timeout-minutes as not finished, and stops it', async () => {
    server.setScripts({ 'BAC-124': [{ text: 'Nothing to change.' }] });
    const marker = `pa-verify-sleeper-${process.pid}`;
    const { result } = await runOn(demoRepo(), {
      checks: checks({ verify: `exec -a ${marker} sleep 30`, verifyTimeoutMs: 500, verifyRetries: 0 }),
    });
    expect(result.status).toBe('failed-verification');
    expect(result.verification!.runs[0]).toMatchObject({ exitCode: null, error: 'timed out after 0.5 s' });
    expect(result.verification!.runs[0]!.seconds).toBeLessThan(5);
    expect(result.error).toBe(
      'verify `exec -a ' + marker + ' sleep 30` did not finish (timed out after 0.5 s)',
    );
  });
});

describe('setup', () => {
  it('runs in the worktree while the first request is out, and no tool touches the worktree before it has finished', async () => {
    server.setScripts({
      'BAC-124': [
        { tools: [{ name: 'read', input: { file_path: 'node_modules/dep/index.js' } }] },
        { text: 'The dependency is there.' },
      ],
    });
    const repo = demoRepo({ '.gitignore': 'node_modules/\n' });
    const setup =
      'sleep 1 && mkdir -p node_modules/dep && echo "export const installed = true;" > node_modules/dep/index.js';
    const { result, seen } = await runOn(repo, { checks: checks({ setup, verify: '' }) });

    expect(result.status).toBe('succeeded');
    expect(result.setup).toMatchObject({ command: setup, exitCode: 0 });
    expect(result.setup!.seconds).toBeGreaterThanOrEqual(1);
    const setupEnded = seen.find((e) => e.type === 'check')!.at;
    // The first model request went out before setup ended; the read waited for it and found what it installed.
    expect(server.requests[0]!.startedAt).toBeLessThan(setupEnded);
    const read = seen.find((e) => e.type === 'tool-result');
    expect(read).toMatchObject({ isError: false });
    expect(read!.type === 'tool-result' && read!.output).toContain('installed = true');
    // What setup installed is ignored by the repository, so it stays out of the commit.
    expect(result.filesChanged).toEqual([]);
  });

  it('ends the agent as failed when setup fails, and runs none of its tool calls', async () => {
    server.setScripts({
      'BAC-124': [
        {
          tools: [
            { name: 'edit', input: { file_path: 'src/router.js', old_string: ORIGINAL, new_string: FIXED } },
          ],
          latencyMs: 300,
        },
        { text: 'Done.' },
      ],
    });
    const repo = demoRepo();
    const { result, seen } = await runOn(repo, {
      checks: checks({ setup: 'echo "no lockfile" >&2; exit 3' }),
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('setup `echo "no lockfile" >&2; exit 3` exited 3');
    expect(result.setup).toMatchObject({ exitCode: 3, outputTail: 'no lockfile' });
    expect(result.verification).toBeUndefined();
    expect(result.filesChanged).toEqual([]);
    expect(formatEvent(seen.find((e) => e.type === 'check')!)).toBe(
      '[BAC-124] ✗ setup `echo "no lockfile" >&2; exit 3` exited 3 after ' +
        `${result.setup!.seconds.toFixed(1)} s: no lockfile`,
    );
  });
});

describe('what setup and verify can see', () => {
  /** What the job's process holds: no shell command may print any of it. */
  const TOKENS = {
    GITHUB_TOKEN: 'ghs_decoyJobTokenForChecks01',
    ACTIONS_RUNTIME_TOKEN: 'decoy-runtime-token-checks-02',
    'INPUT_ANTHROPIC-API-KEY': 'sk-ant-decoy-checks-03',
    LINEAR_API_KEY: 'lin_api_decoy_checks_04',
  };
  const HEADER = 'AUTHORIZATION: basic ZGVjb3ktY2hlY2tzLTA1';
  const PASSWORD = 'ghs_decoyRemoteChecks06';
  const SECRETS = [...Object.values(TOKENS), HEADER, PASSWORD];

  /** Everywhere a same-user process could find a token; the environment last, sorted, to compare shells by. */
  const snoop = (repo: string) =>
    [
      `cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -v -e '^_=' -e '^SHLVL=' -e '^PWD=' -e '^OLDPWD=' | sort -u`,
      'ps -e -o pid=,comm=',
      `cat ${repo}/.git/config`,
      'git config --list',
      'cat ~/.git-credentials ~/.npmrc 2>&1',
      "echo '--- env'",
      "env | grep -v -e '^_=' -e '^SHLVL=' -e '^PWD=' -e '^OLDPWD=' | sort",
    ].join('; ');

  it("see no secret, and exactly the environment, that the agent's own shell sees", async () => {
    const repo = demoRepo();
    git(repo, 'config', 'http.https://github.com/.extraheader', HEADER);
    git(repo, 'remote', 'add', 'origin', `https://x-access-token:${PASSWORD}@github.com/o/r`);
    // The action's own process: its environment holds the job's tokens.
    const action = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      env: { PATH: process.env.PATH, ...TOKENS },
      stdio: 'ignore',
    });
    const command = snoop(repo);
    server.setScripts({
      'BAC-124': [{ tools: [{ name: 'bash', input: { command } }] }, { text: 'Looked around.' }],
    });
    const saved = { ...process.env };
    Object.assign(process.env, TOKENS);
    let run: { result: AgentResult; seen: AgentEvent[] };
    try {
      run = await runOn(repo, {
        tools: ['bash'],
        checks: checks({ setup: command, verify: command }),
      });
    } finally {
      process.env = saved;
      action.kill('SIGKILL');
    }
    const { result, seen } = run;
    const agentSaw = seen.flatMap((e) => (e.type === 'tool-result' ? [e.output] : []));
    expect(agentSaw).toHaveLength(1);
    const setupSaw = result.setup!.outputTail;
    const verifySaw = result.verification!.runs[0]!.outputTail;
    expect(result.verification!.passed).toBe(true);
    for (const saw of [agentSaw[0]!, setupSaw, verifySaw]) {
      // Whole, not a cut tail: nothing it printed is out of sight of this test.
      expect(saw.startsWith('…')).toBe(false);
      expect(saw).toContain('--- env');
      for (const secret of SECRETS) expect(saw).not.toContain(secret);
    }
    const env = (saw: string) => saw.slice(saw.indexOf('--- env'));
    expect(env(setupSaw)).toBe(env(agentSaw[0]!));
    expect(env(verifySaw)).toBe(env(agentSaw[0]!));
    expect(env(verifySaw)).toContain('HOME=');
  });
});
