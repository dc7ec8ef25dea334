import fs from 'node:fs';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import {
  startMessagesServer,
  type MessagesServer,
  type RecordedRequest,
} from '../../support/messages-server.js';
import { readOutcomeRecord } from '../../src/report/outcome.js';
import { DIST, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-rerunE2EsecretKey0123456789ab';
const TOKEN = 'ghs_rerunE2EToken0123456789';
const ISSUE = 7;

const write = (file: string, text: string) => ({
  tools: [{ name: 'write', input: { file_path: file, content: text } }],
});
const edit = (file: string, from: string, to: string) => ({
  tools: [{ name: 'edit', input: { file_path: file, old_string: from, new_string: to } }],
});
const read = (file: string) => ({ tools: [{ name: 'read', input: { file_path: file } }] });

/**
 * BAC-11 fixes the router; BAC-12 builds on it, and its first request is refused the first time (HTTP 400 is not
 * retried), so it fails and BAC-14, which waits for it, is skipped; BAC-13 renames the provider another way, so its
 * branch conflicts with BAC-11's and BAC-12's.
 */
const TASKS = [
  '- BAC-11: Fix the router',
  '- BAC-12: Document the routing\n  depends on: BAC-11',
  '- BAC-13: Rename the provider',
  '- BAC-14: Write the notice\n  depends on: BAC-12',
].join('\n');
const FIRST: Scripts = {
  'BAC-11': [edit('src/router.js', '"openai"', '"anthropic"'), { text: 'Routed to anthropic.' }],
  'BAC-12': [{ fault: { kind: 'http', status: 400, message: 'scripted refusal' } }],
  'BAC-13': [edit('src/router.js', '"openai"', '"mistral"'), { text: 'Renamed.' }],
  'BAC-14': [write('NOTICE', 'MIT\n'), { text: 'Wrote the notice.' }],
};
const SECOND: Scripts = {
  ...FIRST,
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

/** One run of the built action, the model's requests it made, and what GitHub held after it. */
interface Step {
  result: ActionRun;
  requests: RecordedRequest[];
  pulls: GitHubServer['state']['pulls'];
  comments: GitHubServer['state']['comments'];
}

let model: MessagesServer;
/** The refusal's own model, so that it can be seen to ask nothing while the scene's runs ask theirs. */
let unasked: MessagesServer;
const githubs: GitHubServer[] = [];
afterAll(async () => {
  await Promise.all(githubs.map((g) => g.close()));
  await Promise.all([model.close(), unasked.close()]);
});

async function github(options: Parameters<typeof startGitHubServer>[0]): Promise<GitHubServer> {
  const started = await startGitHubServer({ tokens: [TOKEN], ...options });
  githubs.push(started);
  return started;
}

function run(workspace: string, server: GitHubServer, inputs: Record<string, string>, to = model) {
  return runAction({
    workspace,
    env: { GITHUB_API_URL: server.url, GITHUB_REF: 'refs/heads/main' },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': to.url,
      'github-token': TOKEN,
      tasks: TASKS,
      ...inputs,
    },
  });
}

/**
 * One scene serves both re-run tests: a first run where a task fails and its dependent is skipped, `only: failed`,
 * which runs those two on top of the pushed work, and `only: failed` again, with nothing left to run. The refusal
 * without an issue has a server of its own and asks the model nothing, so it goes out meanwhile.
 */
let first: Step;
let second: Step;
let third: Step;
let origin: string;
let noIssue: ActionRun;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({ recordBodies: true });
  unasked = await startMessagesServer();
  const scene = async () => {
    const workspace = makeRepo({
      'README.md': '# Gateway\n',
      'src/router.js': 'export const provider = "openai";\n',
    });
    origin = addBareOrigin(workspace);
    const server = await github({ origin, issues: [{ number: ISSUE, user: 'maintainer' }] });
    const step = async (scripts: Scripts, inputs: Record<string, string>): Promise<Step> => {
      model.setScripts(scripts);
      model.requests.length = 0;
      const result = await run(workspace, server, { 'issue-number': String(ISSUE), ...inputs });
      return {
        result,
        requests: [...model.requests],
        pulls: structuredClone(server.state.pulls),
        comments: structuredClone(server.state.comments),
      };
    };
    first = await step(FIRST, {});
    second = await step(SECOND, { only: 'failed' });
    third = await step(SECOND, { only: 'failed' });
  };
  const refusal = async () => {
    const server = await github({});
    noIssue = await run(makeRepo({ 'README.md': '# Gateway\n' }), server, { only: 'failed' }, unasked);
  };
  await Promise.all([scene(), refusal()]);
});

const tasksAsked = (step: Step) =>
  [...new Set(step.requests.flatMap((r) => (r.task ? [r.task] : [])))].sort();
const rows = (step: Step) => JSON.parse(step.result.outputs.results!) as Row[];
const statuses = (step: Step) => rows(step).map((r) => [r.id, r.status]);
const byId = (step: Step) => Object.fromEntries(rows(step).map((r) => [r.id, r]));

describe('only: failed, through the built action', () => {
  it('runs again only the tasks that did not succeed last time on the issue, and nothing once all have', () => {
    expect(first.result.code).toBe(1);
    expect(statuses(first)).toEqual([
      ['BAC-11', 'succeeded'],
      ['BAC-12', 'failed'],
      ['BAC-13', 'succeeded'],
      ['BAC-14', 'skipped'],
    ]);
    const [comment] = first.comments;
    expect(readOutcomeRecord(comment!.body)).toEqual({
      'BAC-11': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-11-fix-the-router',
        pr: expect.any(Number),
      },
      'BAC-12': { status: 'failed' },
      'BAC-13': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-13-rename-the-provider',
        pr: expect.any(Number),
      },
      'BAC-14': { status: 'skipped' },
    });

    expect(second.result.code).toBe(0);
    expect(tasksAsked(second)).toEqual(['BAC-12', 'BAC-14']);
    expect(statuses(second)).toEqual([
      ['BAC-12', 'succeeded'],
      ['BAC-14', 'succeeded'],
    ]);
    expect(second.result.stdout).toContain(
      'only: failed: BAC-11, BAC-13 succeeded in the last run on #7 and are left out',
    );
    // The same comment, and its record still knows BAC-11 and BAC-13 succeeded the time before.
    expect(second.comments).toHaveLength(1);
    expect(readOutcomeRecord(second.comments[0]!.body)).toEqual({
      'BAC-11': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-11-fix-the-router',
        pr: expect.any(Number),
      },
      'BAC-12': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-12-document-the-routing',
        pr: expect.any(Number),
      },
      'BAC-13': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-13-rename-the-provider',
        pr: expect.any(Number),
      },
      'BAC-14': {
        status: 'succeeded',
        branch: 'parallel-agents/bac-14-write-the-notice',
        pr: expect.any(Number),
      },
    });

    expect(third.result.code).toBe(0);
    expect(third.result.stdout).toContain('Nothing to do: every task succeeded in the last run');
    expect(third.requests).toHaveLength(0);
  });

  it('refuses in one line when the run comments on no issue', () => {
    expect(noIssue.code).toBe(1);
    expect(noIssue.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::input `only`: needs the last run's sticky comment, and this run comments on no issue. Start the run from an issue (its label or `/agents run`) or pass `issue-number`, keep `comment` on, and keep `github-token`",
    ]);
    expect(unasked.requests).toHaveLength(0);
  });
});

describe('a re-run of one task, through the built action', () => {
  it('starts it from its pushed dependency, keeps the other rows and pull requests, and checks it against their branches', () => {
    expect(first.result.stderr).toBe('');
    const before = byId(first);
    expect(before['BAC-12']!.status).toBe('failed');
    const fix = before['BAC-11']!;
    const rename = before['BAC-13']!;
    expect([fix.pullRequest?.number, rename.pullRequest?.number]).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);

    expect(second.result.stderr).toBe('');
    expect(tasksAsked(second)).toEqual(['BAC-12', 'BAC-14']);
    const row = byId(second)['BAC-12']!;
    expect(row).toMatchObject({ id: 'BAC-12', status: 'succeeded', buildsOn: ['BAC-11'] });

    // It read the router as BAC-11 left it, and its branch holds BAC-11's commit.
    const firstResult = JSON.stringify(
      second.requests.find((r) => r.task === 'BAC-12' && r.turn === 1)!.body,
    );
    expect(firstResult).toContain('\\"anthropic\\"');
    git(origin, 'merge-base', '--is-ancestor', fix.commit!, row.commit!);
    // Its pull request is stacked on BAC-11's.
    const pull = second.pulls.find((p) => p.head === row.branch)!;
    expect(pull.base).toBe(fix.branch);
    expect(pull.body).toContain(`#${fix.pullRequest!.number}`);
    // The merge check took the earlier run's branches: BAC-13's conflicts with this one.
    expect(row.conflictsWith).toEqual(['BAC-13']);

    // One comment, with every task's row: this run's first, the others as the first run left them.
    expect(second.comments).toHaveLength(1);
    const table = second.comments[0]!.body.split('\n') // The task table's rows, not the merge check's matrix.
      .filter((l) => /^\| \*\*BAC-\d+\*\* \| (Fix|Document|Rename|Write) /.test(l));
    expect(table.map((r) => /\*\*(BAC-\d+)\*\*/.exec(r)![1])).toEqual([
      'BAC-12',
      'BAC-14',
      'BAC-11',
      'BAC-13',
    ]);
    expect(table[0]).toContain('✅ succeeded');
    expect(table[2]).toContain('✅ succeeded (earlier run)');
    expect(table[2]).toContain(`[#${fix.pullRequest!.number}](`);
    expect(table[3]).toContain(`[#${rename.pullRequest!.number}](`);
  });
});
