import fs from 'node:fs';
import path from 'node:path';
import { addBareOrigin, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, examplePayload, runAction } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-untrustedTextE2EsecretKey0123';
const TOKEN = 'ghs_untrustedTextE2EToken0123456789';
const ISSUE = 7;
const PR = 12;

/** A report that tries every way to close issues on merge and to notify people. */
const HOSTILE_REPORT = [
  'Fixes #1, closes #2 and Resolves owner/repo#3.',
  'fixed: #4',
  'Closed https://github.com/octo-org/gateway/issues/5',
  'Fixes ENG-6',
  'Thanks @octocat, _@hubot_, \\@monalisa and &#64;erin.',
].join('\n');

const SCRIPTS: Scripts = {
  'BAC-1': [
    { tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content: '# Changelog\n' } }] },
    { text: HOSTILE_REPORT },
  ],
  'BAC-2': [{ text: 'Nothing to change.' }],
};

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let model: MessagesServer;
let github: GitHubServer | undefined;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 20, recordBodies: true });
});
afterAll(() => model.close());
beforeEach(() => {
  model.requests.length = 0;
});
afterEach(() => github?.close());

function run(workspace: string, inputs: Record<string, string>, event?: { name: string; payload: Payload }) {
  return runAction({
    workspace,
    ...(event ? { event } : {}),
    env: {
      GITHUB_API_URL: github!.url,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_RUN_ID: '42',
      GITHUB_SERVER_URL: 'https://github.com',
    },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      ...inputs,
    },
  });
}

/** A `labeled` pull request by a maintainer whose head is in a fork, listing one task. */
function forkPullRequest(): { name: string; payload: Payload } {
  const payload = examplePayload('pull_request', 'labeled') as Payload;
  payload.label.name = 'parallel-agents';
  payload.sender = { ...payload.sender, login: 'maintainer', type: 'User' };
  payload.number = PR;
  payload.pull_request.number = PR;
  payload.pull_request.body = '- BAC-2: Check the README';
  payload.pull_request.user.login = 'maintainer';
  payload.pull_request.head.repo.full_name = 'stranger/gateway';
  return { name: 'pull_request', payload };
}

const toolNames = () =>
  model.requests
    .filter((r) => r.thread !== 'continue' && r.task === 'BAC-2')
    .flatMap((r) => ((r.body as { tools?: { name: string }[] }).tools ?? []).map((t) => t.name));

describe('untrusted text, through the built action', () => {
  it("puts an agent's closing words and mentions into the pull request body broken, and its own links whole", async () => {
    const workspace = makeRepo({ 'README.md': '# Gateway\n' });
    github = await startGitHubServer({
      tokens: [TOKEN],
      origin: addBareOrigin(workspace),
      issues: [{ number: ISSUE, title: 'Changelog', user: 'maintainer' }],
    });
    const result = await run(workspace, { tasks: '- BAC-1: Add a changelog', 'issue-number': String(ISSUE) });
    expect(result.code).toBe(0);
    const [pull] = github.state.pulls;
    expect(pull!.body).toMatch(/^Fixes BAC-1\nPart of #7\n/);
    const body = pull!.body ?? '';
    const report = body.slice(body.indexOf('### Report'));
    expect(report).toContain('octocat');
    expect(report).not.toMatch(
      /(?<![A-Za-z0-9])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)[\s:]*(?:#\d|[\w.-]+\/[\w.-]+#\d|https?:|ENG-\d)/i,
    );
    expect(report).not.toMatch(/@[A-Za-z0-9]|&#64;/);
  });

  it("runs a fork's pull request without bash, setup or verify, unless allow-forks says otherwise", async () => {
    const inputs = { 'allowed-tools': 'read,bash', setup: 'true', verify: 'true', sandbox: 'none' };
    github = await startGitHubServer({
      tokens: [TOKEN],
      issues: [
        {
          number: PR,
          title: 'Fork',
          body: '- BAC-2: Check the README',
          user: 'maintainer',
          pullRequest: true,
        },
      ],
      permissions: { maintainer: 'write' },
    });
    const restricted = await run(makeRepo({ 'README.md': '# x\n' }), inputs, forkPullRequest());
    expect(restricted.code).toBe(0);
    expect(restricted.stdout).toContain(
      '::warning::pull request #12 comes from a fork: the agents run without `bash`, `setup` and `verify` (set `allow-forks: true` to run it as any other)',
    );
    expect(toolNames()).toContain('read');
    expect(toolNames()).not.toContain('bash');
    const [row] = JSON.parse(restricted.outputs.results!) as { setup?: unknown; verification?: unknown }[];
    expect(row!.setup).toBeUndefined();
    expect(row!.verification).toBeUndefined();

    model.requests.length = 0;
    const allowed = await run(
      makeRepo({ 'README.md': '# x\n' }),
      { ...inputs, 'allow-forks': 'true' },
      forkPullRequest(),
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).not.toContain('comes from a fork');
    expect(toolNames()).toContain('bash');
    const [ran] = JSON.parse(allowed.outputs.results!) as { setup?: unknown }[];
    expect(ran!.setup).toBeDefined();
  });

  it('refuses a results-dir that is a file in one line, before any model request', async () => {
    github = await startGitHubServer({ tokens: [TOKEN] });
    const workspace = makeRepo({ 'README.md': '# x\n', 'results.txt': 'not a folder\n' });
    for (const dir of ['results.txt', 'results.txt/inside']) {
      const result = await run(workspace, { tasks: '- BAC-2: Check the README', 'results-dir': dir });
      expect(result.code).toBe(1);
      const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error::'));
      expect(errors).toEqual([
        dir === 'results.txt'
          ? '::error::input `results-dir`: results.txt is a file, not a folder. Name a folder for the results (it is made if missing), e.g. parallel-agents-results'
          : '::error::input `results-dir`: results.txt/inside is inside results.txt, which is a file. Name a folder for the results (it is made if missing), e.g. parallel-agents-results',
      ]);
    }
    expect(model.requests).toHaveLength(0);
    expect(fs.readFileSync(path.join(workspace, 'results.txt'), 'utf8')).toBe('not a folder\n');
  });
});
