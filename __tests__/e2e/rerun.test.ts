import fs from 'node:fs';
import { addBareOrigin, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
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
  model = await startMessagesServer({ latencyMs: 20 });
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
    expect(comment!.body).toContain(
      '<!-- parallel-agents:outcome {"BAC-1":"succeeded","BAC-2":"failed","BAC-3":"skipped"} -->',
    );

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
    expect(github.state.comments[0]!.body).toContain(
      '<!-- parallel-agents:outcome {"BAC-1":"succeeded","BAC-2":"succeeded","BAC-3":"succeeded"} -->',
    );

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
