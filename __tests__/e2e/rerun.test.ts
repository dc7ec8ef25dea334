import fs from 'node:fs';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { readOutcomeRecord } from '../../src/report/outcome.js';
import { DIST, runAction } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-rerunE2EsecretKey0123456789ab';
const TOKEN = 'ghs_rerunE2EToken0123456789';
const ISSUE = 7;
const TASKS =
  '- BAC-1: Add a changelog\n- BAC-2: Name the licence\n- BAC-3: Write the notice\n  depends on: BAC-2';

const write = (file: string, text: string) => ({
  tools: [{ name: 'write', input: { file_path: file, content: text } }],
});

/** BAC-2's first request is refused (HTTP 400 is not retried), so it fails and BAC-3, which waits for it, is skipped. */
const FIRST: Scripts = {
  'BAC-1': [write('CHANGELOG.md', '# Changelog\n'), { text: 'Added the changelog.' }],
  'BAC-2': [{ fault: { kind: 'http', status: 400, message: 'scripted refusal' } }],
  'BAC-3': [write('NOTICE', 'MIT\n'), { text: 'Wrote the notice.' }],
};
const SECOND: Scripts = {
  ...FIRST,
  'BAC-2': [write('LICENSE', 'MIT\n'), { text: 'Named the licence.' }],
};

let model: MessagesServer;
let github: GitHubServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({ latencyMs: 20, recordBodies: true });
});
afterAll(() => model.close());
afterEach(() => github?.close());

function run(workspace: string, inputs: Record<string, string>) {
  return runAction({
    workspace,
    env: { GITHUB_API_URL: github.url, GITHUB_REF: 'refs/heads/main' },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      tasks: TASKS,
      ...inputs,
    },
  });
}

const tasksAsked = () => [...new Set(model.requests.flatMap((r) => (r.task ? [r.task] : [])))].sort();
const statuses = (outputs: Record<string, string>) =>
  (JSON.parse(outputs.results!) as { id: string; status: string }[]).map((r) => [r.id, r.status]);

describe('only: failed, through the built action', () => {
  it('runs again only the tasks that did not succeed last time on the issue, and nothing once all have', async () => {
    const workspace = makeRepo({ 'README.md': '# Gateway\n' });
    addBareOrigin(workspace);
    github = await startGitHubServer({ tokens: [TOKEN], issues: [{ number: ISSUE, user: 'maintainer' }] });

    model.setScripts(FIRST);
    model.requests.length = 0;
    const first = await run(workspace, { 'issue-number': String(ISSUE) });
    expect(first.code).toBe(1);
    expect(statuses(first.outputs)).toEqual([
      ['BAC-1', 'succeeded'],
      ['BAC-2', 'failed'],
      ['BAC-3', 'skipped'],
    ]);
    const [comment] = github.state.comments;
    expect(readOutcomeRecord(comment!.body)).toEqual({
      'BAC-1': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-1-add-a-changelog',
        pr: expect.any(Number),
      },
      'BAC-2': { status: 'failed' },
      'BAC-3': { status: 'skipped' },
    });

    model.setScripts(SECOND);
    model.requests.length = 0;
    const second = await run(workspace, { 'issue-number': String(ISSUE), only: 'failed' });
    expect(second.code).toBe(0);
    expect(tasksAsked()).toEqual(['BAC-2', 'BAC-3']);
    expect(statuses(second.outputs)).toEqual([
      ['BAC-2', 'succeeded'],
      ['BAC-3', 'succeeded'],
    ]);
    expect(second.stdout).toContain('only: failed: BAC-1 succeeded in the last run on #7 and is left out');
    // The same comment, and its record still knows BAC-1 succeeded the time before.
    expect(github.state.comments).toHaveLength(1);
    expect(readOutcomeRecord(github.state.comments[0]!.body)).toEqual({
      'BAC-1': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-1-add-a-changelog',
        pr: expect.any(Number),
      },
      'BAC-2': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-2-name-the-licence',
        pr: expect.any(Number),
      },
      'BAC-3': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-3-write-the-notice',
        pr: expect.any(Number),
      },
    });

    model.requests.length = 0;
    const third = await run(workspace, { 'issue-number': String(ISSUE), only: 'failed' });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Nothing to do: every task succeeded in the last run');
    expect(model.requests).toHaveLength(0);
  });

  it('refuses in one line when the run comments on no issue', async () => {
    const workspace = makeRepo({ 'README.md': '# Gateway\n' });
    github = await startGitHubServer({ tokens: [TOKEN] });
    model.requests.length = 0;
    const result = await run(workspace, { only: 'failed' });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::input `only`: needs the last run's sticky comment, and this run comments on no issue. Start the run from an issue (its label or `/agents run`) or pass `issue-number`, keep `comment` on, and keep `github-token`",
    ]);
    expect(model.requests).toHaveLength(0);
  });
});

const edit = (file: string, from: string, to: string) => ({
  tools: [{ name: 'edit', input: { file_path: file, old_string: from, new_string: to } }],
});
const read = (file: string) => ({ tools: [{ name: 'read', input: { file_path: file } }] });

/**
 * BAC-11 fixes the router; BAC-12 builds on it, and fails the first time; BAC-13 renames the provider another way, so
 * its branch conflicts with both.
 */
const ROUTER_TASKS =
  '- BAC-11: Fix the router\n- BAC-12: Document the routing\n  depends on: BAC-11\n- BAC-13: Rename the provider';
const ROUTER_FIRST: Scripts = {
  'BAC-11': [edit('src/router.js', '"openai"', '"anthropic"'), { text: 'Routed to anthropic.' }],
  'BAC-12': [{ fault: { kind: 'http', status: 400, message: 'scripted refusal' } }],
  'BAC-13': [edit('src/router.js', '"openai"', '"mistral"'), { text: 'Renamed.' }],
};
const ROUTER_SECOND: Scripts = {
  ...ROUTER_FIRST,
  'BAC-12': [
    read('src/router.js'),
    edit('src/router.js', 'export const', '// Where requests go.\nexport const'),
    { text: 'Documented.' },
  ],
};

interface Row {
  id: string;
  status: string;
  branch: string;
  commit?: string;
  buildsOn?: string[];
  conflictsWith?: string[];
  pullRequest?: { number: number };
}

describe('a re-run of one task, through the built action', () => {
  it('starts it from its pushed dependency, keeps the other rows and pull requests, and checks it against their branches', async () => {
    const workspace = makeRepo({
      'README.md': '# Gateway\n',
      'src/router.js': 'export const provider = "openai";\n',
    });
    const origin = addBareOrigin(workspace);
    github = await startGitHubServer({
      tokens: [TOKEN],
      origin,
      issues: [{ number: ISSUE, user: 'maintainer' }],
    });
    const inputs = { 'issue-number': String(ISSUE), tasks: ROUTER_TASKS, 'fail-on': 'none' };

    model.setScripts(ROUTER_FIRST);
    const first = await run(workspace, inputs);
    expect(first.stderr).toBe('');
    const before = Object.fromEntries((JSON.parse(first.outputs.results!) as Row[]).map((r) => [r.id, r]));
    expect(before['BAC-12']!.status).toBe('failed');
    const fix = before['BAC-11']!;
    const rename = before['BAC-13']!;
    expect([fix.pullRequest?.number, rename.pullRequest?.number]).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);

    model.setScripts(ROUTER_SECOND);
    model.requests.length = 0;
    const second = await run(workspace, { ...inputs, only: 'failed' });
    expect(second.stderr).toBe('');
    expect(tasksAsked()).toEqual(['BAC-12']);
    const [row] = JSON.parse(second.outputs.results!) as Row[];
    expect(row).toMatchObject({ id: 'BAC-12', status: 'succeeded', buildsOn: ['BAC-11'] });

    // It read the router as BAC-11 left it, and its branch holds BAC-11's commit.
    const firstResult = JSON.stringify(model.requests.find((r) => r.task === 'BAC-12' && r.turn === 1)!.body);
    expect(firstResult).toContain('\\"anthropic\\"');
    git(origin, 'merge-base', '--is-ancestor', fix.commit!, row!.commit!);
    // Its pull request is stacked on BAC-11's.
    const pull = github.state.pulls.find((p) => p.head === row!.branch)!;
    expect(pull.base).toBe(fix.branch);
    expect(pull.body).toContain(`#${fix.pullRequest!.number}`);
    // The merge check took the earlier run's branches: BAC-13's conflicts with this one.
    expect(row!.conflictsWith).toEqual(['BAC-13']);

    // One comment, with every task's row: BAC-12 from this run, the others as the first run left them.
    expect(github.state.comments).toHaveLength(1);
    const rows = github.state.comments[0]!.body.split('\n') // The task table's rows, not the merge check's matrix.
      .filter((l) => /^\| \*\*BAC-\d+\*\* \| (Fix|Document|Rename) /.test(l));
    expect(rows.map((r) => /\*\*(BAC-\d+)\*\*/.exec(r)![1])).toEqual(['BAC-12', 'BAC-11', 'BAC-13']);
    expect(rows[0]).toContain('✅ succeeded');
    expect(rows[1]).toContain('✅ succeeded (earlier run)');
    expect(rows[1]).toContain(`[#${fix.pullRequest!.number}](`);
    expect(rows[2]).toContain(`[#${rename.pullRequest!.number}](`);
  });
});
