import { makeRepo } from '../../support/git-repo.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { examplePayload, runAction } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-githubE2EsecretKey0123456789';
const TOKEN = 'ghs_e2eStandInToken0123456789';
const ISSUE = 7;
const MARKER = '<!-- parallel-agents -->';
const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
const REMOVE_LABEL = 'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}';

const BODY = `Context for every agent.

- BAC-1: Add a changelog
- BAC-2: Document the router
  depends on: BAC-1
- BAC-3: Note the licence
  depends on: BAC-2
`;

/** Each agent takes two turns, at once. */
const SCRIPTS: Scripts = scriptsWithLatency(0);

/**
 * The same turns at 600 ms each, one agent after another: at least 3.6 s of the model's alone after the comment is
 * created, past the 3 s its first edit waits, so the comment is edited while the agents run and again at the end.
 */
const SLOW_SCRIPTS: Scripts = scriptsWithLatency(600);

function scriptsWithLatency(latencyMs: number): Scripts {
  return Object.fromEntries(
    ['BAC-1', 'BAC-2', 'BAC-3'].map((id) => [
      id,
      [
        { tools: [{ name: 'write', input: { file_path: `${id}.md`, content: `# ${id}\n` } }], latencyMs },
        { text: `Wrote ${id}.md.`, latencyMs },
      ],
    ]),
  );
}

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let model: MessagesServer;
let github: GitHubServer;
beforeAll(async () => {
  model = await startMessagesServer({ scripts: SCRIPTS, recordBodies: true });
});
afterAll(() => model.close());
beforeEach(() => {
  model.requests.length = 0;
  model.setScripts(SCRIPTS);
});
afterEach(() => github?.close());

async function startGitHub(options: GitHubServerOptions = {}) {
  github = await startGitHubServer({
    tokens: [TOKEN],
    issues: [{ number: ISSUE, title: 'Batch', body: BODY, user: 'maintainer', labels: ['parallel-agents'] }],
    permissions: { maintainer: 'write', reader: 'read' },
    ...options,
  });
}

function labeled(labeller: string, author = 'maintainer'): Payload {
  const payload = examplePayload('issues', 'labeled') as Payload;
  payload.label.name = 'parallel-agents';
  payload.sender.login = labeller;
  payload.sender.type = 'User';
  payload.issue.number = ISSUE;
  payload.issue.body = BODY;
  payload.issue.user.login = author;
  return payload;
}

function commented(commenter: string, body: string, type = 'User'): Payload {
  const payload = examplePayload('issue_comment', 'created') as Payload;
  payload.comment.body = body;
  payload.comment.user.login = commenter;
  payload.comment.user.type = type;
  payload.sender.login = commenter;
  payload.sender.type = type;
  payload.issue.number = ISSUE;
  payload.issue.body = BODY;
  payload.issue.user.login = 'maintainer';
  delete payload.issue.pull_request;
  return payload;
}

function run(name: string, payload: Payload, inputs: Record<string, string> = {}) {
  return runAction({
    workspace: makeRepo({ 'README.md': '# Gateway\n' }),
    event: { name, payload },
    env: { GITHUB_API_URL: github.url, GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.com' },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      ...inputs,
    },
  });
}

const ours = () => github.state.comments.filter((c) => c.body.startsWith(MARKER));
const routes = (route: string) => github.calls.filter((c) => c.route === route);

describe('on GitHub, through the built action', () => {
  // A reader's `/agents run` goes the same way from checkAccess (permission.test.ts) to the comment.
  it("refuses a reader's label with one comment and no model request, and takes the label off", async () => {
    await startGitHub();
    const result = await run('issues', labeled('reader'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::parallel-agents did not run: .*reader.*read/);
    expect(model.requests).toHaveLength(0);
    const comments = github.state.comments;
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('parallel-agents did not run');
    expect(result.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    expect(routes(REMOVE_LABEL)).toHaveLength(1);
  });

  // Without read-only it is refused: the default (trigger.test.ts), checkAccess's decision (permission.test.ts).
  it("runs a writer's label on a stranger's issue without bash under untrusted-text: read-only", async () => {
    await startGitHub();
    const readOnly = await run('issues', labeled('maintainer', 'stranger'), {
      'untrusted-text': 'read-only',
      'allowed-tools': 'read,write,bash',
    });
    expect(readOnly.code).toBe(0);
    expect(readOnly.stdout).toMatch(/::warning::.*without `?bash/);
    const toolNames = model.requests
      .filter((r) => r.thread !== 'continue')
      .map((r) => JSON.stringify(r.body));
    expect(model.requests.length).toBeGreaterThan(0);
    for (const body of toolNames) expect(body).not.toContain('"name":"bash"');
  });

  it("runs a writer's label: one comment, edited in place, ending with every row and the timing", async () => {
    await startGitHub({ comments: [{ issueNumber: ISSUE, user: 'someone', body: `> ${MARKER}\n> quoted` }] });
    model.setScripts(SLOW_SCRIPTS);
    const first = await run('issues', labeled('maintainer'));
    model.setScripts(SCRIPTS);
    expect(first.code).toBe(0);
    expect(routes(CREATE)).toHaveLength(1);
    expect(routes(UPDATE).length).toBeGreaterThanOrEqual(2);
    const [comment] = ours();
    expect(comment!.user).toBe('github-actions[bot]');
    for (const id of ['BAC-1', 'BAC-2', 'BAC-3'])
      expect(comment!.body).toMatch(new RegExp(`${id}.*succeeded`));
    expect(comment!.body).toMatch(/Speedup/);
    expect(comment!.body).toMatch(/Ideal/);
    expect(first.outputs['comment-url']).toMatch(new RegExp(`#issuecomment-${comment!.id}$`));
    expect(routes(REMOVE_LABEL)).toHaveLength(1);

    // A second run on the same issue edits the same comment; the quoting comment is never touched.
    const second = await run('issue_comment', commented('maintainer', '/agents run BAC-1'));
    expect(second.code).toBe(0);
    expect(routes(CREATE)).toHaveLength(1);
    expect(ours()).toHaveLength(1);
    expect(second.outputs['comment-url']).toBe(first.outputs['comment-url']);
    expect(JSON.parse(second.outputs.results!).map((r: { id: string }) => r.id)).toEqual(['BAC-1']);
    const quoted = github.state.comments.find((c) => c.user === 'someone')!;
    expect(quoted.body).toBe(`> ${MARKER}\n> quoted`);
    expect(github.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/${quoted.id}`))).toHaveLength(
      0,
    );
  });

  it('runs a writer’s label on a pull request and keeps its comment on that pull request', async () => {
    const PR = 12;
    await startGitHub({
      issues: [
        {
          number: PR,
          title: 'Batch in a PR',
          body: BODY,
          user: 'maintainer',
          labels: ['parallel-agents'],
          pullRequest: true,
        },
      ],
    });
    const payload = examplePayload('pull_request', 'labeled') as Payload;
    payload.label.name = 'parallel-agents';
    payload.sender.login = 'maintainer';
    payload.sender.type = 'User';
    payload.number = PR;
    payload.pull_request.number = PR;
    payload.pull_request.body = BODY;
    payload.pull_request.user.login = 'maintainer';
    const result = await run('pull_request', payload);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs.results!).map((r: { id: string }) => r.id)).toEqual([
      'BAC-1',
      'BAC-2',
      'BAC-3',
    ]);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.issueNumber).toBe(PR);
    expect(ours()[0]!.body).toMatch(/Speedup/);
    expect(routes(REMOVE_LABEL).map((c) => c.path)).toEqual([
      `/repos/octo-org/gateway/issues/${PR}/labels/parallel-agents`,
    ]);
  });

  it('reads the tasks of issue-number on a dispatch and keeps the comment there', async () => {
    await startGitHub();
    const result = await run('workflow_dispatch', examplePayload('workflow_dispatch') as Payload, {
      'issue-number': String(ISSUE),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('started the workflow by hand, which takes write permission');
    expect(result.outputs.succeeded).toBe('3');
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.issueNumber).toBe(ISSUE);
    expect(routes(REMOVE_LABEL)).toHaveLength(0);
  });

  // Another label and a comment that is not a command end at the same line: their decisions are in trigger.test.ts.
  it('does nothing for a `/agents run` by its own github-actions[bot], and asks GitHub nothing', async () => {
    await startGitHub();
    const bot = await run('issue_comment', commented('github-actions[bot]', '/agents run', 'Bot'));
    expect(bot.code).toBe(0);
    expect(bot.stdout).toMatch(/Nothing to do: github-actions\[bot\] is a bot/);
    expect(model.requests).toHaveLength(0);
    expect(github.state.comments).toHaveLength(0);
    expect(github.calls).toEqual([]);
  });
});
