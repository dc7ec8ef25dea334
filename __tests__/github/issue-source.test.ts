import fs from 'node:fs';
import path from 'node:path';
import { getOctokit } from '@actions/github';
import { InputError } from '../../src/errors.js';
import { readEventPayload, runContextFrom, type RunContext } from '../../src/github/context.js';
import { readIssueBody } from '../../src/github/issue-source.js';
import { tempDir } from '../../support/git-repo.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';
import { examplePayload } from '../../support/run-action.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const ENV = { GITHUB_REPOSITORY: 'octo-org/gateway', GITHUB_API_URL: 'http://127.0.0.1:9' };

/** The real `issues` payload whose action is `labeled`, with our trigger label. */
function labeledIssue(body?: string | null): Record<string, unknown> {
  const payload = examplePayload('issues', 9) as {
    action: string;
    label: { name: string };
    issue: { body: unknown };
  };
  expect(payload.action).toBe('labeled');
  payload.label.name = 'parallel-agents';
  if (body !== undefined) payload.issue.body = body;
  return payload;
}

/** Writes the payload where the runner would and reads the context from those variables. */
function contextFor(eventName: string, payload: Record<string, unknown>, env: Record<string, string> = ENV) {
  const eventPath = path.join(tempDir('pa-event-'), 'event.json');
  fs.writeFileSync(eventPath, JSON.stringify(payload));
  return readRunContext({ ...env, GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: eventPath });
}

/** The context as the action reads it from the runner's variables. */
function readRunContext(env: Record<string, string>): RunContext {
  return runContextFrom(env.GITHUB_EVENT_NAME ?? '', readEventPayload(env), env);
}

describe('run context', () => {
  it('reads an issue being labeled: the label, the issue and who added it', () => {
    const context = contextFor('issues', labeledIssue());

    expect(context).toEqual({
      eventName: 'issues',
      action: 'labeled',
      repo,
      actor: 'Codertocat',
      actorIsBot: false,
      apiUrl: 'http://127.0.0.1:9',
      issue: {
        number: 1,
        title: 'Spelling error in the README file',
        body: "It looks like you accidently spelled 'commit' with two 't's.",
        isPullRequest: false,
      },
      label: 'parallel-agents',
    });
  });

  it('reads a new comment: its id, body and author, and the issue it is on', () => {
    const payload = examplePayload('issue_comment', 0) as { action: string; comment: { body: string } };
    expect(payload.action).toBe('created');
    payload.comment.body = '/agents run BAC-1 BAC-2';

    const context = contextFor('issue_comment', payload);

    expect(context).toMatchObject({
      eventName: 'issue_comment',
      action: 'created',
      actor: 'Codertocat',
      comment: { id: 492700400, body: '/agents run BAC-1 BAC-2', user: 'Codertocat' },
      issue: { number: 1, isPullRequest: false },
    });
    expect(context.label).toBeUndefined();
  });

  it('reads a workflow_dispatch: no issue, no label, no comment; the repository from the payload', () => {
    const context = contextFor('workflow_dispatch', examplePayload('workflow_dispatch'), {});

    expect(context).toEqual({
      eventName: 'workflow_dispatch',
      repo: { owner: 'octo-org', repo: 'octo-repo' },
      actor: 'octocat',
      actorIsBot: false,
      apiUrl: 'https://api.github.com',
    });
  });

  it('knows a pull request, from a pull_request event or from an issue event that carries pull_request', () => {
    const opened = examplePayload('pull_request', 0) as { pull_request: { number: number; body: string } };
    const asIssue = examplePayload('issues', 5) as { issue: { number: number } };

    const fromPull = runContextFrom('pull_request', opened, ENV);
    const fromIssue = runContextFrom('issues', asIssue, ENV);

    expect(fromPull.issue).toEqual({
      number: opened.pull_request.number,
      title: 'Update the README with new information.',
      body: opened.pull_request.body,
      isPullRequest: true,
    });
    expect(fromIssue.issue).toMatchObject({ number: asIssue.issue.number, isPullRequest: true });
  });

  it('tells a bot actor by its account type', () => {
    const payload = labeledIssue() as { sender: { login: string; type: string } };
    payload.sender.login = 'renovate[bot]';
    payload.sender.type = 'Bot';

    expect(runContextFrom('issues', payload, ENV)).toMatchObject({
      actor: 'renovate[bot]',
      actorIsBot: true,
    });
  });

  it('takes the actor from GITHUB_ACTOR when the payload names no sender', () => {
    const context = runContextFrom('workflow_dispatch', {}, { ...ENV, GITHUB_ACTOR: 'mona' });

    expect(context).toMatchObject({ actor: 'mona', repo });
  });

  it('reads an empty body as empty text', () => {
    expect(runContextFrom('issues', labeledIssue(null), ENV).issue?.body).toBe('');
  });

  it('refuses to guess the repository when neither GITHUB_REPOSITORY nor the payload names it', () => {
    expect(() => readRunContext({ GITHUB_EVENT_NAME: 'workflow_dispatch' })).toThrow(/GITHUB_REPOSITORY/);
  });
});

describe('readIssueBody', () => {
  let server: GitHubServer;
  let octokit: ReturnType<typeof getOctokit>;

  async function start(options: GitHubServerOptions = {}): Promise<void> {
    server = await startGitHubServer(options);
    octokit = getOctokit('ghs_token', { baseUrl: server.url });
  }

  afterEach(async () => {
    await server?.close();
  });

  const dispatch = (): RunContext =>
    runContextFrom('workflow_dispatch', examplePayload('workflow_dispatch'), ENV);

  it('reads the triggering issue’s body from the payload, without a request', async () => {
    await start();
    const context = runContextFrom('issues', labeledIssue('- BAC-1: Add a changelog'), ENV);

    const body = await readIssueBody({ octokit: () => octokit, repo, context });

    expect(body).toEqual({ text: '- BAC-1: Add a changelog', where: 'issue #1', number: 1 });
    expect(server.calls).toEqual([]);
  });

  it('says "pull request" for a triggering pull request', async () => {
    await start();
    const context = runContextFrom('pull_request', examplePayload('pull_request', 0), ENV);

    const body = await readIssueBody({ octokit: () => octokit, repo, context });

    expect(body?.where).toBe('pull request #2');
  });

  it('fetches the issue `issue-number` names, with one GET', async () => {
    await start({ issues: [{ number: 7, body: '- BAC-2: Document the router' }] });
    const context = runContextFrom('issues', labeledIssue(), ENV);

    const body = await readIssueBody({ octokit: () => octokit, repo, issueNumber: 7, context });

    expect(body).toEqual({ text: '- BAC-2: Document the router', where: 'issue #7', number: 7 });
    expect(server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /repos/octo-org/gateway/issues/7',
    ]);
  });

  it('fetches a pull request by number and says so', async () => {
    await start({ pulls: [{ number: 3, head: 'tasks', body: '- BAC-3' }] });

    const body = await readIssueBody({ octokit: () => octokit, repo, issueNumber: 3, context: dispatch() });

    expect(body).toEqual({ text: '- BAC-3', where: 'pull request #3', number: 3 });
  });

  it('reads a fetched issue without a body as empty text', async () => {
    await start({ issues: [{ number: 7, body: null }] });

    const body = await readIssueBody({ octokit: () => octokit, repo, issueNumber: 7, context: dispatch() });

    expect(body?.text).toBe('');
  });

  it('answers undefined when the run has no issue and none is named', async () => {
    await start();

    expect(await readIssueBody({ octokit: () => octokit, repo, context: dispatch() })).toBeUndefined();
    expect(server.calls).toEqual([]);
  });

  it('says which issue was not found, where, and what to check', async () => {
    await start({ issues: [{ number: 7 }] });

    const reading = readIssueBody({ octokit: () => octokit, repo, issueNumber: 999, context: dispatch() });

    await expect(reading).rejects.toBeInstanceOf(InputError);
    await expect(reading).rejects.toThrow(
      'input `issue-number`: issue #999 was not found in octo-org/gateway. ' +
        'Check the number, and that github-token can read issues',
    );
  });

  it('lets other failures through as they are', async () => {
    await start({ issues: [{ number: 7 }], tokens: ['ghs_other'] });

    const reading = readIssueBody({ octokit: () => octokit, repo, issueNumber: 7, context: dispatch() });

    await expect(reading).rejects.toMatchObject({ status: 401 });
    await expect(reading).rejects.not.toBeInstanceOf(InputError);
  });

  it('needs a token to fetch an issue by number', async () => {
    await expect(
      readIssueBody({ octokit: () => undefined, repo, issueNumber: 7, context: dispatch() }),
    ).rejects.toThrow(
      'input `issue-number`: needs a `github-token` to read issue #7. Leave `github-token` at its default (`${{ github.token }}`) or pass a token that can read issues',
    );
  });
});
