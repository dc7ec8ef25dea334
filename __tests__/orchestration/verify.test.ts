import fs from 'node:fs';
import path from 'node:path';
import type { AgentResult } from '../../src/result.js';
import type { RunEvent } from '../../src/events.js';
import { DEMO_TEST_COMMAND as VERIFY, demoRepo } from '../../support/demo.js';
import { git, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { startGitHubServer } from '../../support/github-server.js';
import { examplePayload } from '../../support/run-action.js';
import { runInProcess } from '../../support/run-in-process.js';
import type { Scripts } from '../../support/script.js';

const ORIGINAL = 'provider.modelPrefixes.some((prefix) => model.startsWith)';
const BROKEN = 'provider.modelPrefixes.some((prefix) => model.endsWith(prefix))';
const FIXED = 'provider.modelPrefixes.some((prefix) => model.startsWith(prefix))';

/** Breaks the demo repository's tests, then fixes them once its check's output comes back. */
const BAC_124: Scripts = {
  'BAC-124': [
    {
      tools: [
        { name: 'edit', input: { file_path: 'src/router.js', old_string: ORIGINAL, new_string: BROKEN } },
      ],
    },
    { text: 'Fixed the predicate.' },
    {
      tools: [{ name: 'edit', input: { file_path: 'src/router.js', old_string: BROKEN, new_string: FIXED } }],
    },
    { text: 'Fixed: prefixes are matched with startsWith(prefix).' },
  ],
};

/** Two changes that each pass the tests, and fail them together: a new default, and a test that pins the old one. */
const APART_NOT_TOGETHER: Scripts = {
  'BAC-1': [
    {
      tools: [
        {
          name: 'edit',
          input: { file_path: 'src/config.js', old_string: 'maxTokens: 1024', new_string: 'maxTokens: 2048' },
        },
        {
          name: 'edit',
          input: {
            file_path: 'test/gateway.test.js',
            old_string: 'max_tokens: 1024',
            new_string: 'max_tokens: 2048',
          },
        },
      ],
    },
    { text: 'Raised the default to 2048 tokens.' },
  ],
  'BAC-2': [
    {
      tools: [
        {
          name: 'write',
          input: {
            file_path: 'test/config.test.js',
            content: [
              "import { test } from 'node:test';",
              "import assert from 'node:assert/strict';",
              "import { config } from '../src/config.js';",
              '',
              "test('defaults to 1024 tokens', () => {",
              '  assert.equal(config.defaults.maxTokens, 1024);',
              '});',
              '',
            ].join('\n'),
          },
        },
      ],
    },
    { text: 'Pinned the defaults in a test.' },
  ],
};

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer({ recordBodies: true });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const auditOf = (workspace: string): RunEvent[] =>
  fs
    .readFileSync(path.join(workspace, 'parallel-agents-results/run-local-1/audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunEvent);

/** The summary table's cell in `id`'s row under `column`. */
function cell(summary: string, id: string, column: string): string | undefined {
  const cells = (start: string) => {
    const line = summary.split('\n').find((l) => l.startsWith(start));
    if (!line) throw new Error(`no row ${start} in:\n${summary}`);
    return line.split(' | ').map((text) => text.replace(/^\| |\s\|$/g, ''));
  };
  return cells(`| **${id}**`)[cells('| Task |').indexOf(column)];
}

/**
 * The action in process on the demo repository's copy `workspace`, with its test command as `verify` (npm left out:
 * these cases are about verify; demo.test.ts keeps `npm test`), and `tasks`.
 */
function runVerify(workspace: string, tasks: string, inputs: Record<string, string> = {}) {
  return runInProcess({
    workspace,
    inputs: {
      'anthropic-api-key': 'sk-ant-test',
      'anthropic-base-url': server.url,
      tasks,
      verify: VERIFY,
      ...inputs,
    },
  });
}

describe('verify, through the action', () => {
  /**
   * One run for two cases: BAC-124 breaks the tests and fixes them in its fix-up turn, BAC-2 passes at once, and the
   * two pass together. The requests are kept here, as each case starts with the server's list emptied.
   */
  let fixedUp: Awaited<ReturnType<typeof runVerify>>;
  let fixedUpRequests: MessagesServer['requests'];
  beforeAll(async () => {
    server.setScripts({ ...BAC_124, 'BAC-2': APART_NOT_TOGETHER['BAC-2']! });
    server.requests.length = 0;
    fixedUp = await runVerify(
      demoRepo(tempDir('pa-demo-')),
      '- BAC-124: Fix model routing\n- BAC-2: Pin the defaults in a test\n',
    );
    fixedUpRequests = [...server.requests];
  });

  it('shows a change that breaks the tests as failed verification, gives it one fix-up turn, and shows the fix verified', () => {
    const run = fixedUp;
    expect(run.code).toBe(0);
    const log = run.stdout.split('\n');
    const failedAt = log.findIndex((l) =>
      /^\[BAC-124\] ❌ failed verification: `node --test --test-reporter=spec` exited 1 /.test(l),
    );
    const verifiedAt = log.findIndex((l) =>
      /^\[BAC-124\] ✅ verified: `node --test --test-reporter=spec` passed in /.test(l),
    );
    expect(failedAt).toBeGreaterThan(-1);
    expect(verifiedAt).toBeGreaterThan(failedAt);
    expect(log[failedAt]).toContain('its output goes back to the agent (fix-up 1)');

    // One fix-up turn, in the same thread, with the failing output in its request.
    const answered = fixedUpRequests.filter((r) => r.task === 'BAC-124' && r.status === 200);
    expect(answered).toHaveLength(4);
    expect(answered[2]).toMatchObject({ thread: 'continue', messages: 1 });
    expect(JSON.stringify(answered[2]!.body)).toContain('routes gpt-* models to openai');

    expect(cell(run.summary, 'BAC-124', 'Verified')).toBe('✅ verified after 1 fix-up');
    expect(cell(run.summary, 'BAC-124', 'Status')).toBe('✅ succeeded');
    // The agent's own outcome (its structured report) next to the verified one.
    expect(cell(run.summary, 'BAC-124', 'Agent says')).toBe('done');
    const results = JSON.parse(run.outputs.results!) as AgentResult[];
    const result = results.find((r) => r.id === 'BAC-124');
    expect(result!.verification).toMatchObject({ passed: true, fixUps: 1 });
    expect(result!.agentReport).toMatchObject({ outcome: 'done' });
    expect(result!.report).toBe('Fixed: prefixes are matched with startsWith(prefix).');
    expect(result!.verification!.runs.map((r) => r.exitCode)).toEqual([1, 0]);
    // BAC-2's change passed its check the first time.
    expect(results.find((r) => r.id === 'BAC-2')!.verification!.runs.map((r) => r.exitCode)).toEqual([0]);
    expect(run.outputs.succeeded).toBe('2');
  });

  it('never shows a task whose work fails its check as done, and the step fails', async () => {
    server.setScripts(BAC_124);
    const workspace = demoRepo(tempDir('pa-demo-'));
    const run = await runVerify(workspace, '- BAC-124: Fix model routing\n', { 'verify-retries': '0' });

    expect(run.code).toBe(1);
    expect(run.summary.split('\n')[0]).toBe(
      '## ❌ parallel-agents: 0/1 task succeeded · 1 failed verification',
    );
    expect(cell(run.summary, 'BAC-124', 'Status')).toBe('❌ failed verification');
    expect(cell(run.summary, 'BAC-124', 'Verified')).toBe('❌ failed verification (exit 1)');
    // The report says what failed and shows the end of its output.
    expect(run.summary).toContain(`**verify** \`${VERIFY}\` exit 1 after`);
    expect(run.summary).toContain('routes gpt-* models to openai');
    expect(run.outputs).toMatchObject({ succeeded: '0', failed: '1' });
    expect(run.stdout).toContain('::error::1 of 1 agents did not succeed (BAC-124 failed-verification)');
  });

  it('catches two changes that pass their check apart but fail it together, with the merged check', async () => {
    server.setScripts(APART_NOT_TOGETHER);
    const workspace = demoRepo(tempDir('pa-demo-'));
    const run = await runVerify(
      workspace,
      '- BAC-1: Raise the default max tokens\n- BAC-2: Pin the defaults in a test\n',
    );

    const results = JSON.parse(run.outputs.results!) as AgentResult[];
    expect(results.map((r) => [r.id, r.status, r.verification?.passed])).toEqual([
      ['BAC-1', 'succeeded', true],
      ['BAC-2', 'succeeded', true],
    ]);
    const together = auditOf(workspace).find((e) => e.type === 'together');
    expect(together).toMatchObject({
      check: { merged: ['BAC-1', 'BAC-2'], conflicts: [], passed: false, verify: { exitCode: 1 } },
    });
    expect(run.summary.split('\n')[0]).toBe('## ⚠️ parallel-agents: 2/2 tasks succeeded');
    expect(run.summary).toContain(`### Together: \`${VERIFY}\` on the merge`);
    expect(run.summary).toContain(
      `❌ \`${VERIFY}\` fails on the merge of **BAC-1**, **BAC-2** (exit 1 after`,
    );
    expect(run.summary).toContain('defaults to 1024 tokens');
    expect(run.stdout).toMatch(
      /\[together\] ❌ `node --test --test-reporter=spec` exited 1 on the merge of BAC-1, BAC-2 after/,
    );
    // Each branch stays as its agent left it, and the merge leaves no branch or worktree behind.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::The merge of BAC-1, BAC-2 fails its check, though each branch passed alone',
    );
    expect(git(workspace, 'branch', '--list', 'parallel-agents-together/*')).toBe('');
    expect(git(workspace, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('says so when the verified branches also pass together', () => {
    expect(fixedUp.code).toBe(0);
    expect(fixedUp.summary).toContain(`✅ \`${VERIFY}\` passes on the merge of **BAC-124**, **BAC-2**`);
  });

  it("runs no verify on a stranger's task text under untrusted-text: read-only, and says so", async () => {
    server.setScripts(BAC_124);
    const token = 'ghs_verifyStandInToken0123456789';
    const body = '- BAC-124: Fix model routing\n';
    const github = await startGitHubServer({
      tokens: [token],
      issues: [{ number: 7, title: 'Batch', body, user: 'stranger', labels: ['parallel-agents'] }],
      permissions: { maintainer: 'write' },
    });
    try {
      const payload = examplePayload('issues', 'labeled') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      Object.assign(payload.label, { name: 'parallel-agents' });
      Object.assign(payload.sender, { login: 'maintainer', type: 'User' });
      Object.assign(payload.issue, { number: 7, body });
      payload.issue.user.login = 'stranger';
      const run = await runInProcess({
        workspace: demoRepo(tempDir('pa-demo-')),
        event: { name: 'issues', payload },
        env: { GITHUB_API_URL: github.url },
        inputs: {
          'anthropic-api-key': 'sk-ant-test',
          'anthropic-base-url': server.url,
          'github-token': token,
          'untrusted-text': 'read-only',
          comment: 'false',
          verify: VERIFY,
        },
      });
      expect(run.stdout).toContain(
        '::warning::`verify` is not run: the task text comes from someone without',
      );
      const [result] = JSON.parse(run.outputs.results!) as AgentResult[];
      expect(result!.verification).toBeUndefined();
      expect(run.stdout).not.toMatch(/✅ verified|❌ failed verification/);
    } finally {
      await github.close();
    }
  });
});
