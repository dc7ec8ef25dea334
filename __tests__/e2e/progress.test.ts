import { makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { examplePayload, runAction } from '../../support/run-action.js';
import type { Scripts, ScriptedTurn } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-progressE2EsecretKey0123456789';
const TOKEN = 'ghs_progressStandInToken0123456789';
const ISSUE = 7;
const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';

const BODY = `- BAC-1: Add a changelog
- BAC-2: Document the router
`;

/**
 * An agent that says how far it is, then works slowly: a run of about 7 s, so that the comment is edited at least once
 * while both agents run (the first edits go out 3 s apart).
 */
function slowAgent(id: string): ScriptedTurn[] {
  return [
    {
      tools: [
        { name: 'report_progress', input: { percent: 30, doing: `Reading the code of ${id}` } },
        { name: 'read', input: { file_path: 'README.md' } },
      ],
      latencyMs: 500,
    },
    { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 3_000 },
    {
      tools: [
        { name: 'report_progress', input: { percent: 70, doing: `Writing the notes of ${id}` } },
        { name: 'write', input: { file_path: `${id}.md`, content: `# ${id}\n` } },
      ],
      latencyMs: 2_000,
    },
    { text: `Wrote ${id}.md.`, latencyMs: 1_000 },
  ];
}

const SCRIPTS: Scripts = { 'BAC-1': slowAgent('BAC-1'), 'BAC-2': slowAgent('BAC-2') };

let model: MessagesServer;
let github: GitHubServer;
beforeAll(async () => {
  model = await startMessagesServer({ scripts: SCRIPTS });
});
afterAll(() => model.close());
afterEach(() => github?.close());

/** The comment row of `id` while it runs: its progress bar and what it said it is doing. */
const runningRow = (id: string) =>
  new RegExp(
    `\\| \\*\\*${id}\\*\\* \\| [^|]+ \\| 🏃 running \\| [█░]{10} \\d+% - (Reading the code|Writing the notes) of ${id} \\|`,
  );

describe('progress a person can watch, through the built action', () => {
  it('shows each running agent’s progress line in the comment while it runs, within GitHub’s edit limits', async () => {
    github = await startGitHubServer({
      tokens: [TOKEN],
      issues: [{ number: ISSUE, title: 'Batch', body: BODY, user: 'maintainer' }],
      permissions: { maintainer: 'write' },
    });
    const result = await runAction({
      workspace: makeRepo({ 'README.md': '# Gateway\n' }),
      event: { name: 'workflow_dispatch', payload: examplePayload('workflow_dispatch') },
      env: { GITHUB_API_URL: github.url, GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.com' },
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        'github-token': TOKEN,
        'issue-number': String(ISSUE),
      },
    });
    expect(result.code).toBe(0);

    const edits = github.calls
      .filter((c) => c.route === UPDATE)
      .map((c) => String((c.body as { body?: unknown }).body));
    const whileRunning = edits.slice(0, -1);
    for (const id of ['BAC-1', 'BAC-2']) {
      expect(whileRunning.some((body) => runningRow(id).test(body))).toBe(true);
      expect(result.stdout).toMatch(new RegExp(`\\[${id}\\] ███░░░░░░░ 30% - Reading the code of ${id}`));
    }
    // The first edits go out 3 s apart, then one every 15 s; the run's last edit shows the results alone.
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(result.ms / 3_000) + 1);
    expect(edits.at(-1)).not.toMatch(/🏃 running|\| Now \|/);
  });
});
