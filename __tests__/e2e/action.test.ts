import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-e2eSECRETkeyDoNotLeak0123456789';

const TASKS = `Shared context: the gateway is plain JavaScript.

- BAC-1: Add a changelog
  Write CHANGELOG.md.
- BAC-2: Document the router
- BAC-3: Note the licence
`;

/** Three agents, each reading a file, writing one, then reporting; every turn takes 300 ms of model time. */
const SCRIPTS: Scripts = {
  'BAC-1': [
    { text: 'Reading the README.', tools: [{ name: 'read', input: { file_path: 'README.md' } }] },
    {
      tools: [
        {
          name: 'write',
          input: { file_path: 'CHANGELOG.md', content: '# Changelog\n\n- Initial release\n' },
        },
      ],
    },
    { text: 'Added CHANGELOG.md with the initial release.' },
  ],
  'BAC-2': [
    { tools: [{ name: 'glob', input: { pattern: 'src/**/*.js' } }] },
    {
      tools: [
        { name: 'write', input: { file_path: 'docs/router.md', content: '# Router\n\nPicks a provider.\n' } },
      ],
    },
    { text: 'Documented the router in docs/router.md.' },
  ],
  'BAC-3': [
    { tools: [{ name: 'grep', input: { pattern: 'route' } }] },
    {
      tools: [
        {
          name: 'edit',
          input: { file_path: 'README.md', old_string: '# Gateway', new_string: '# Gateway (MIT)' },
        },
      ],
    },
    { text: 'Noted the licence in the README title.' },
  ],
};

function repo(): string {
  return makeRepo({
    'README.md': '# Gateway\n\nRoutes requests.\n',
    'src/router.js': 'export function route(model) {\n  return "openai";\n}\n',
  });
}

/** Whether two [start, end] intervals share some time. */
const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

/** Each task's span of model requests, first arrival to last response. */
function spans(server: MessagesServer): Map<string, [number, number]> {
  const byTask = new Map<string, [number, number]>();
  for (const r of server.requests) {
    if (!r.task) continue;
    const span = byTask.get(r.task) ?? [r.startedAt, r.endedAt];
    byTask.set(r.task, [Math.min(span[0], r.startedAt), Math.max(span[1], r.endedAt)]);
  }
  return byTask;
}

let server: MessagesServer;

beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  server = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 300 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setScripts(SCRIPTS);
});

describe('the built action, run as the runner runs it', () => {
  it('runs one agent per task at the same time and reports each one', async () => {
    const workspace = repo();
    const origin = addBareOrigin(workspace);
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': server.url,
        tasks: TASKS,
        'max-concurrency': '3',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    // The agents' model turns overlapped: every pair of agents was talking to the model at the same time.
    const byTask = spans(server);
    expect([...byTask.keys()].sort()).toEqual(['BAC-1', 'BAC-2', 'BAC-3']);
    const [a, b, c] = ['BAC-1', 'BAC-2', 'BAC-3'].map((id) => byTask.get(id)!);
    expect(overlaps(a!, b!) && overlaps(b!, c!) && overlaps(a!, c!)).toBe(true);

    const results = JSON.parse(run.outputs.results!) as {
      id: string;
      status: string;
      turns: number;
      filesChanged: string[];
      branch: string;
      toolCalls: number;
    }[];
    expect(results.map((r) => [r.id, r.status, r.turns, r.toolCalls])).toEqual([
      ['BAC-1', 'succeeded', 3, 2],
      ['BAC-2', 'succeeded', 3, 2],
      ['BAC-3', 'succeeded', 3, 2],
    ]);
    expect(run.outputs.succeeded).toBe('3');
    expect(run.outputs.failed).toBe('0');
    // The speedup is the sum of the agents' times over the wall; three agents that overlapped (above) leave it well
    // over one, by how much depends on the machine's load.
    const [sequential, wall] = [run.outputs['sequential-seconds'], run.outputs['wall-seconds']].map(Number);
    expect(Number(run.outputs.speedup)).toBeCloseTo(sequential! / wall!, 1);
    expect(Number(run.outputs.speedup)).toBeGreaterThan(1.5);

    // Each agent's change is committed on its own branch; the checkout itself is untouched.
    expect(results.map((r) => r.branch)).toEqual([
      'parallel-agents/bac-1-add-a-changelog',
      'parallel-agents/bac-2-document-the-router',
      'parallel-agents/bac-3-note-the-licence',
    ]);
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:CHANGELOG.md')).toContain(
      'Initial release',
    );
    expect(git(workspace, 'show', 'parallel-agents/bac-2-document-the-router:docs/router.md')).toContain(
      '# Router',
    );
    expect(git(workspace, 'show', 'parallel-agents/bac-3-note-the-licence:README.md')).toContain(
      '# Gateway (MIT)',
    );
    expect(git(workspace, 'ls-tree', '--name-only', 'parallel-agents/bac-1-add-a-changelog')).not.toContain(
      'docs',
    );
    // The checkout is untouched but for the results, written for upload as an artifact.
    expect(git(workspace, 'status', '--porcelain')).toBe('?? parallel-agents-results/');
    expect(fs.readdirSync(`${workspace}/parallel-agents-results/run-local-1`).sort()).toEqual([
      'BAC-1.json',
      'BAC-2.json',
      'BAC-3.json',
      'audit.jsonl',
      'run.html',
      'run.json',
    ]);
    // The run's page is built from the audit log and names every agent.
    const page = fs.readFileSync(`${workspace}/parallel-agents-results/run-local-1/run.html`, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const id of ['BAC-1', 'BAC-2', 'BAC-3']) expect(page).toContain(id);
    // Every branch is pushed, and its worktree is gone so a later step can check the branch out.
    expect(
      git(origin, 'branch', '--list', 'parallel-agents/*')
        .split('\n')
        .map((b) => b.trim()),
    ).toEqual(results.map((r) => r.branch));
    expect(git(workspace, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(fs.readFileSync(`${workspace}/README.md`, 'utf8')).toBe('# Gateway\n\nRoutes requests.\n');

    // The live log names each agent's steps; the summary has a row per agent and the timing comparison.
    expect(run.stdout).toMatch(/\[BAC-1\] .*CHANGELOG\.md/);
    expect(run.stdout).toMatch(/\[BAC-3\] .*README\.md/);
    // The results replace the plan shown during the run, which stays folded below them.
    expect(run.summary.startsWith('## ✅ parallel-agents: 3/3 tasks succeeded')).toBe(true);
    expect(run.summary).toContain('<details><summary>Plan</summary>');
    expect(run.summary).toContain('| **BAC-1** | Add a changelog | ✅ succeeded |');
    expect(run.summary).toContain('| **BAC-2** | Document the router | ✅ succeeded |');
    expect(run.summary).toContain('| **BAC-3** | Note the licence | ✅ succeeded |');
    expect(run.summary).toContain(`${run.outputs.speedup}×`);
    expect(run.summary).toContain('Added CHANGELOG.md with the initial release.');
  });
});

describe('the built action, on runs that go out at once', () => {
  const fault = [{ fault: { kind: 'http' as const, status: 500 } }];
  const oneFails: Scripts = {
    ...SCRIPTS,
    'BAC-2': [{ fault: { kind: 'http', status: 500, message: 'Internal server error' } }],
  };
  /** Each run against its own server, so that they can go out together and each test reads its own. */
  const own: MessagesServer[] = [];
  let runs: Record<'oneFails' | 'allFail', ActionRun>;
  let oneFailsWorkspace: string;
  beforeAll(async () => {
    const start = async (scripts: Scripts, workspace: string, inputs: Record<string, string> = {}) => {
      const model = await startMessagesServer({ scripts, latencyMs: 300 });
      own.push(model);
      return runAction({
        workspace,
        inputs: { 'anthropic-api-key': API_KEY, 'anthropic-base-url': model.url, tasks: TASKS, ...inputs },
      });
    };
    oneFailsWorkspace = repo();
    const [oneFailsRun, allFail] = await Promise.all([
      start(oneFails, oneFailsWorkspace),
      start({ 'BAC-1': fault, 'BAC-2': fault, 'BAC-3': fault }, repo(), { 'fail-on': 'all' }),
    ]);
    runs = { oneFails: oneFailsRun!, allFail: allFail! };
  });
  afterAll(() => Promise.all(own.map((model) => model.close())));

  it('says where the work is when the repository has no origin to push to', () => {
    // These runs' repositories have no remote; BAC-1 succeeds here, with a commit to push.
    const run = runs.oneFails;
    expect(run.code).toBe(1);
    const result = (
      JSON.parse(run.outputs.results!) as {
        id: string;
        status: string;
        pushed: boolean;
        notPushed?: string;
        branch: string;
      }[]
    ).find((r) => r.id === 'BAC-1');
    expect(result?.status).toBe('succeeded');
    expect(result?.pushed).toBe(false);
    expect(result?.notPushed).toContain('no remote named origin');
    expect(run.summary).toContain(`\`${result?.branch}\` (not pushed)`);
    expect(run.summary).toContain('exists only on this runner');
  });

  it('never lets the API key out, even when an agent fails: not in the log, the summary, the outputs or the branches', () => {
    const workspace = oneFailsWorkspace;
    const run = runs.oneFails;
    expect(run.code).toBe(1);
    // The runner hides masked values; the mask command itself is the one place the key is allowed.
    const printed = run.stdout
      .split('\n')
      .filter((line) => line !== `::add-mask::${API_KEY}`)
      .join('\n');
    expect(run.stdout).toContain(`::add-mask::${API_KEY}`);
    expect(printed).not.toContain(API_KEY);
    expect(run.stderr).not.toContain(API_KEY);
    expect(run.summary).not.toContain(API_KEY);
    expect(JSON.stringify(run.outputs)).not.toContain(API_KEY);
    // The failed agent's result file, with its error, is among these.
    const files = fs.readdirSync(`${workspace}/parallel-agents-results/run-local-1`);
    expect(files).toContain('BAC-2.json');
    for (const file of files) {
      expect(
        fs.readFileSync(`${workspace}/parallel-agents-results/run-local-1/${file}`, 'utf8'),
      ).not.toContain(API_KEY);
    }
    const history = execFileSync('git', ['log', '-p', '--all'], { cwd: workspace, encoding: 'utf8' });
    expect(history).toContain('CHANGELOG.md');
    expect(history).not.toContain(API_KEY);
  });

  it('fails one agent whose every request gets HTTP 500 and finishes the others', () => {
    const workspace = oneFailsWorkspace;
    const run = runs.oneFails;
    expect(run.code).toBe(1);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string; error?: string }[];
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(results[1]!.error).toBe('InternalServerError (HTTP 500): Internal server error');
    expect(run.outputs.succeeded).toBe('2');
    expect(run.outputs.failed).toBe('1');
    expect(run.summary).toContain('InternalServerError (HTTP 500): Internal server error');
    expect(run.stdout).toContain('::error::1 of 3 agents did not succeed (BAC-2 failed); fail-on: any');
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:CHANGELOG.md')).toContain(
      'Initial release',
    );
  });

  // Each fail-on against none, one and all failed is in outputs.test.ts; this run proves the input reaches the exit code.
  it('fails the step under fail-on: all only when every agent fails', () => {
    const run = runs.allFail;
    expect(run.code).toBe(1);
    expect(run.outputs.failed).toBe('3');
  });
});

describe('the shell', () => {
  const SECRETS: Record<string, string> = {
    GITHUB_TOKEN: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
    ANTHROPIC_API_KEY: 'sk-ant-api03-shellLeakCheck000000000000',
    LINEAR_API_KEY: 'lin_api_shellLeakCheck0000000000000000',
    ACTIONS_RUNTIME_TOKEN: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.runtime',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.oidc',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.example/oidc?secretparam=1',
    NPM_TOKEN: 'npm_shellLeakCheck0000000000000000000000',
    DEPLOY_PASSWORD: 'hunter2-shellLeakCheck',
  };

  it('in its sandbox, reads no token, forges no output, touches no other worktree and leaves nothing running', async () => {
    // What an attacker's task would have the shell do, each an attempt that worked before the sandbox.
    const attack = [
      "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>/dev/null",
      'ps e -A 2>&1',
      `cat ${os.tmpdir()}/pa-runner-*/output.txt ${os.tmpdir()}/pa-runner-*/event.json 2>&1`,
      `echo forged=1 >> ${os.tmpdir()}/pa-runner-*/output.txt`,
      'ls ../ 2>&1; echo planted > ../bac-2/planted.txt',
      'setsid sleep 387 > /dev/null 2>&1 < /dev/null &',
      'nohup sleep 388 > /dev/null 2>&1 &',
      'echo attack done',
    ];
    const recording = await startMessagesServer({
      recordBodies: true,
      scripts: {
        'BAC-1': [
          { tools: attack.map((command) => ({ name: 'bash', input: { command } })) },
          { text: 'Tried.' },
        ],
        'BAC-2': [{ text: 'Nothing to do.' }],
      },
    });
    try {
      const run = await runAction({
        workspace: repo(),
        inputs: {
          'anthropic-api-key': API_KEY,
          'anthropic-base-url': recording.url,
          tasks: '- BAC-1: Attack\n- BAC-2: Stand by',
          'allowed-tools': 'read,bash',
        },
        env: SECRETS,
      });
      expect(run.code).toBe(0);
      const sent = JSON.stringify(recording.requests.map((r) => r.body));
      expect(sent).toContain('attack done');
      for (const value of [...Object.values(SECRETS), API_KEY]) expect(sent).not.toContain(value);
      expect(sent).not.toMatch(/INPUT_|GITHUB_OUTPUT|RUNNER_TEMP/);
      expect(run.outputs.forged).toBeUndefined();
      expect(run.outputs.succeeded).toBe('2');
      const results = JSON.parse(run.outputs.results ?? '[]') as { id: string; filesChanged: string[] }[];
      expect(results.find((r) => r.id === 'BAC-2')?.filesChanged).toEqual([]);
      // The sandbox's processes went with it.
      const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(left).not.toMatch(/sleep 38[78]/);
    } finally {
      await recording.close();
    }
  });

  it.each([
    ['auto', 'hides a credential persisted in .git/config'],
    ['none', 'warns about a credential in .git/config'],
  ])('with sandbox: %s, gives the agents none of the runner secrets and %s', async (sandbox) => {
    const recording = await startMessagesServer({
      recordBodies: true,
      scripts: {
        'BAC-1': [
          {
            tools: [
              {
                name: 'bash',
                input: { command: 'env; cat .git/config; git config --list; echo HOME=$HOME' },
              },
            ],
          },
          { text: 'Looked around.' },
        ],
      },
    });
    try {
      const workspace = repo();
      git(
        workspace,
        'config',
        'http.https://github.com/.extraheader',
        'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3BlcnNpc3RlZA==',
      );
      const run = await runAction({
        workspace,
        inputs: {
          'anthropic-api-key': API_KEY,
          'anthropic-base-url': recording.url,
          tasks: '- BAC-1: Look around',
          'allowed-tools': 'read,bash',
          sandbox,
        },
        env: SECRETS,
      });
      expect(run.code).toBe(0);
      // What the model was sent back: the shell's output, as a tool result in the second request.
      const sent = JSON.stringify(recording.requests.map((r) => r.body));
      expect(sent).toContain('PATH=');
      expect(sent).toMatch(/HOME=\S*homes\/bac-1/);
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(sent).not.toContain(value);
        expect(sent).not.toContain(`${name}=`);
      }
      expect(sent).not.toContain(API_KEY);
      expect(sent).not.toMatch(/INPUT_/);
      expect(run.summary).not.toContain('eC1hY2Nlc3MtdG9rZW46');
      const warning = 'can read a credential persisted in .git/config (http.https://github.com/.extraheader)';
      if (sandbox === 'auto') {
        // The sandbox's copy of the config has no credentials, so there is nothing to warn about.
        expect(sent).not.toContain('extraheader');
        expect(sent).not.toContain('eC1hY2Nlc3MtdG9rZW46');
        expect(run.summary).not.toContain(warning);
        expect(run.stdout).not.toContain('::warning::');
      } else {
        // Without the sandbox the persisted credential is within reach, so the run says so, naming the key only.
        expect(sent).toContain('extraheader');
        expect(run.summary).toContain(warning);
        expect(run.stdout).toContain('::warning::The agents');
        expect(run.stdout).toContain('::warning::`sandbox: none`');
      }
    } finally {
      await recording.close();
    }
  });
});

describe('the main thread', () => {
  // 5,000 alternatives take the glob 0.4 s or more here (the native matcher's cost grows faster than their count),
  // which would hold the thread for as long were it not on a thread of its own; 100,000 only wait out its timeout.
  it('is held up for a fraction of the time an agent globs a pattern that expands to 5,000 directories', async () => {
    server.setScripts({
      'BAC-1': [{ tools: [{ name: 'glob', input: { pattern: '{1..5000}/*' } }] }, { text: 'Globbed.' }],
      'BAC-2': [
        { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 500 },
        { text: 'Read it.' },
      ],
    });
    const workspace = repo();
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': server.url,
        tasks: '- BAC-1: Glob everything\n- BAC-2: Read',
        'allowed-tools': 'read,glob',
      },
    });
    expect(run.code).toBe(0);
    expect(run.outputs.succeeded).toBe('2');
    // The glob's answer went back to the model: the tool ran, off the action's thread.
    expect(server.requests.filter((r) => r.task === 'BAC-1')).toHaveLength(2);
    // The action measures its own event loop (monitorEventLoopDelay) for the whole run and keeps it in the audit log.
    const audit = fs
      .readFileSync(`${workspace}/parallel-agents-results/run-local-1/audit.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            task?: string;
            tool?: string;
            at: number;
            eventLoopDelayMs?: { p99: number; max: number };
          },
      );
    const globAt = (type: string) => audit.find((e) => e.type === type && e.tool === 'glob')?.at ?? NaN;
    const globMs = globAt('tool-result') - globAt('tool-call');
    const ended = audit.find((e) => e.type === 'run-ended');
    // On the thread, the glob would hold it up for as long as it runs (0.4-0.6 s on idle machines here, longer on a
    // busy one, where the OS alone can hold a thread up for a while): 200 ms, or a third of the glob's time when that
    // is longer. A glob of over 300 ms tells the two apart.
    expect(globMs).toBeGreaterThan(300);
    expect(ended?.eventLoopDelayMs?.max).toBeGreaterThan(0);
    expect(ended?.eventLoopDelayMs?.max).toBeLessThan(Math.max(200, globMs / 3));
    expect(run.stdout).toMatch(/Event loop held up at most \d+ ms/);
  });
});

describe('the budget', () => {
  it('stops the running agents and starts no other once max-cost-usd is spent', async () => {
    const long = Array.from({ length: 20 }, () => ({
      tools: [{ name: 'read' as const, input: { file_path: 'README.md' } }],
      latencyMs: 50,
    }));
    server.setScripts({ 'BAC-1': long, 'BAC-2': long, 'BAC-3': long });
    const run = await runAction({
      workspace: repo(),
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': server.url,
        tasks: TASKS,
        'max-concurrency': '2',
        // A price that makes every request cost about a dollar, so the budget is reached after a few turns.
        pricing: '{"claude-sonnet-4-6": {"input": 1000, "output": 1000}}',
        'max-cost-usd': '5',
      },
    });
    expect(run.code).toBe(1);
    const results = JSON.parse(run.outputs.results!) as {
      id: string;
      status: string;
      turns: number;
      startedAt: number;
    }[];
    expect(results.map((r) => [r.id, r.status, r.startedAt > 0])).toEqual([
      ['BAC-1', 'budget', true],
      ['BAC-2', 'budget', true],
      ['BAC-3', 'budget', false],
    ]);
    // Stopped well before the end of its twenty-turn script.
    expect(results[0]!.turns).toBeLessThan(20);
    expect(Number(run.outputs['cost-usd'])).toBeGreaterThanOrEqual(5);
    expect(run.stdout).toContain('::warning::max-cost-usd ($5) reached: stopping every agent');
    expect(run.summary).toContain('budget reached');
  });

  it('refuses a budget for a model whose price it does not know', async () => {
    const run = await runAction({
      workspace: repo(),
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': server.url,
        tasks: TASKS,
        model: 'gateway-special',
        'max-cost-usd': '5',
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::input `max-cost-usd`: needs a price for the model "gateway-special", and none is known. Give its price in `pricing`',
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('cancellation', () => {
  it('stops every agent on SIGTERM and still writes the summary and outputs', async () => {
    const hang = [
      {
        text: 'Thinking.',
        tools: [{ name: 'write' as const, input: { file_path: 'partial.md', content: 'started\n' } }],
      },
      { fault: { kind: 'hang' as const } },
    ];
    server.setScripts({ 'BAC-1': hang, 'BAC-2': hang, 'BAC-3': hang, 'BAC-4': hang });
    const workspace = repo();
    let sentAt = 0;
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': server.url,
        tasks: `${TASKS}- BAC-4: Queued behind the others\n`,
        'max-concurrency': '3',
      },
      onSpawn: (child) => {
        // Once three agents are each waiting on their second reply, the job is cancelled.
        const poll = setInterval(() => {
          if (server.requests.filter((r) => r.turn === 1).length === 3) {
            clearInterval(poll);
            sentAt = Date.now();
            child.kill('SIGTERM');
          }
        }, 20);
      },
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.outputs.results!) as { id: string; status: string; startedAt: number }[];
    expect(results.map((r) => [r.id, r.status, r.startedAt > 0])).toEqual([
      ['BAC-1', 'cancelled', true],
      ['BAC-2', 'cancelled', true],
      ['BAC-3', 'cancelled', true],
      ['BAC-4', 'cancelled', false],
    ]);
    expect(run.stdout).toContain('::error::The run was cancelled');
    expect(run.summary).toContain('cancelled');
    // Every agent is accounted for in the result files and the audit log.
    for (const id of ['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4']) {
      const file = JSON.parse(
        fs.readFileSync(`${workspace}/parallel-agents-results/run-local-1/${id}.json`, 'utf8'),
      ) as {
        status: string;
      };
      expect(file.status).toBe('cancelled');
    }
    const audit = fs
      .readFileSync(`${workspace}/parallel-agents-results/run-local-1/audit.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; task: string });
    expect(
      audit
        .filter((e) => e.type === 'ended')
        .map((e) => e.task)
        .sort(),
    ).toEqual(['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4']);
    // What an agent wrote before the cancellation is on its branch.
    expect(git(workspace, 'show', 'parallel-agents/bac-1-add-a-changelog:partial.md')).toBe('started');
  });
});

describe('bad input through the built action', () => {
  // One settings error, the required key and no tasks at all; the other messages are unit-tested (settings, tasks).
  const CASES: [string, string, string][] = [
    ['max-concurrency', '0', 'input `max-concurrency`: "0" is not a whole number from 1 to 256.'],
    ['anthropic-api-key', '', 'input `anthropic-api-key`: is required.'],
    ['tasks', '', 'inputs `tasks`, `tasks-file` and `issue-number`: no tasks were given.'],
  ];
  /** Each bad input's run, against a server of its own: they go out at once. */
  const runs = new Map<string, { run: ActionRun; model: MessagesServer }>();
  beforeAll(async () => {
    await Promise.all(
      CASES.map(async ([name, value]) => {
        const model = await startMessagesServer({ scripts: SCRIPTS });
        const inputs = { 'anthropic-api-key': API_KEY, 'anthropic-base-url': model.url, tasks: TASKS };
        runs.set(`${name}=${value}`, {
          model,
          run: await runAction({ workspace: repo(), inputs: { ...inputs, [name]: value } }),
        });
      }),
    );
  });
  afterAll(() => Promise.all([...runs.values()].map(({ model }) => model.close())));

  it.each(CASES)('rejects %s=%j with one line, exit 1 and no model request', (name, value, message) => {
    const { run, model } = runs.get(`${name}=${value}`)!;
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stderr).toBe('');
    expect(model.requests).toHaveLength(0);
  });
});
