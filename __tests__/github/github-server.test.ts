import { getOctokit } from '@actions/github';
import { GitHub } from '@actions/github/lib/utils';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';
import { examplePayload } from '../../support/run-action.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_standInToken0123456789';

let server: GitHubServer;
let octokit: ReturnType<typeof getOctokit>;

async function start(options: GitHubServerOptions = {}): Promise<void> {
  server = await startGitHubServer(options);
  octokit = getOctokit(TOKEN, { baseUrl: server.url });
}

afterEach(async () => {
  await server?.close();
});

/** What a failed Octokit call threw: status, response body and headers. */
async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as { status: number; response?: { data: unknown; headers: Record<string, string> } },
  );
  return { status: error.status, data: error.response?.data, headers: error.response?.headers ?? {} };
}

/** Field names of a real webhook object, for holding the stand-in's responses to them. */
function keysOf(value: unknown): string[] {
  return Object.keys(value as Record<string, unknown>);
}

describe('GitHub REST stand-in', () => {
  describe('issues', () => {
    it('answers an issue with the fields GitHub sends', async () => {
      await start({ issues: [{ number: 7, title: 'Tasks', body: '- BAC-1', labels: ['parallel-agents'] }] });

      const { data, status } = await octokit.rest.issues.get({ ...repo, issue_number: 7 });

      expect(status).toBe(200);
      expect(data).toMatchObject({
        number: 7,
        title: 'Tasks',
        body: '- BAC-1',
        state: 'open',
        html_url: 'https://github.com/octo-org/gateway/issues/7',
        labels: [{ name: 'parallel-agents' }],
        user: { login: 'octocat', type: 'User' },
      });
      expect(data.pull_request).toBeUndefined();
      const example = examplePayload('issues', 9) as { issue: Record<string, unknown> };
      expect(keysOf(data)).toEqual(
        expect.arrayContaining(keysOf(example.issue).filter((k) => k !== 'draft')),
      );
      expect(keysOf(data.user)).toEqual(expect.arrayContaining(keysOf(example.issue['user'])));
      expect(keysOf(data.labels[0])).toEqual(
        expect.arrayContaining(keysOf((example.issue['labels'] as unknown[])[0])),
      );
    });

    it('answers a pull request as an issue with a pull_request field', async () => {
      await start({ pulls: [{ number: 3, title: 'Draft', body: '- BAC-2', head: 'feature' }] });

      const { data } = await octokit.rest.issues.get({ ...repo, issue_number: 3 });

      expect(data.pull_request).toMatchObject({ html_url: 'https://github.com/octo-org/gateway/pull/3' });
      expect(data.body).toBe('- BAC-2');
      const example = examplePayload('issues', 5) as { issue: Record<string, unknown> };
      expect(keysOf(data)).toEqual(expect.arrayContaining(keysOf(example.issue)));
    });

    it('answers 404 for an issue it does not hold, and for another repository', async () => {
      await start({ issues: [{ number: 1 }] });

      const missing = await failure(octokit.rest.issues.get({ ...repo, issue_number: 999 }));
      const elsewhere = await failure(
        octokit.rest.issues.get({ owner: 'someone', repo: 'else', issue_number: 1 }),
      );

      expect(missing).toMatchObject({
        status: 404,
        data: {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest/issues/issues#get-an-issue',
          status: '404',
        },
      });
      expect(elsewhere.status).toBe(404);
    });
  });

  describe('comments', () => {
    it('creates, reads and updates a comment as the token’s user', async () => {
      await start({ issues: [{ number: 7 }] });

      const created = await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'Starting' });
      const updated = await octokit.rest.issues.updateComment({
        ...repo,
        comment_id: created.data.id,
        body: 'Done',
      });
      const read = await octokit.rest.issues.getComment({ ...repo, comment_id: created.data.id });

      expect(created.status).toBe(201);
      expect(created.data).toMatchObject({
        body: 'Starting',
        user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
        html_url: `https://github.com/octo-org/gateway/issues/7#issuecomment-${created.data.id}`,
        issue_url: `${server.url}/repos/octo-org/gateway/issues/7`,
      });
      expect(updated.data.body).toBe('Done');
      expect(read.data.body).toBe('Done');
      expect(server.state.comments).toEqual([
        expect.objectContaining({
          id: created.data.id,
          issueNumber: 7,
          body: 'Done',
          user: 'github-actions[bot]',
        }),
      ]);
      const example = examplePayload('issue_comment', 1) as { comment: Record<string, unknown> };
      expect(keysOf(created.data)).toEqual(expect.arrayContaining(keysOf(example.comment)));
    });

    it('refuses a body over 65,536 characters with GitHub’s 422, on create and on update', async () => {
      await start({ issues: [{ number: 7 }], comments: [{ issueNumber: 7, body: 'old', id: 55 }] });
      const expected = {
        status: 422,
        data: {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'IssueComment',
              code: 'custom',
              field: 'body',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
        },
      };

      const create = await failure(
        octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x'.repeat(65_537) }),
      );
      const update = await failure(
        octokit.rest.issues.updateComment({ ...repo, comment_id: 55, body: 'x'.repeat(65_537) }),
      );
      const atTheLimit = await octokit.rest.issues.createComment({
        ...repo,
        issue_number: 7,
        body: 'x'.repeat(65_536),
      });

      expect(create).toMatchObject(expected);
      expect(update).toMatchObject(expected);
      expect(atTheLimit.status).toBe(201);
      expect(server.state.comments.map((c) => c.body.length)).toEqual([3, 65_536]);
    });

    it('pages comment lists with Link headers that octokit.paginate follows', async () => {
      const comments = Array.from({ length: 75 }, (_, i) => ({ issueNumber: 7, body: `comment ${i + 1}` }));
      await start({ issues: [{ number: 7 }], comments });

      const first = await octokit.rest.issues.listComments({ ...repo, issue_number: 7, per_page: 30 });
      const all = await octokit.paginate(octokit.rest.issues.listComments, {
        ...repo,
        issue_number: 7,
        per_page: 30,
      });

      expect(first.data).toHaveLength(30);
      expect(first.headers.link).toBe(
        `<${server.url}/repos/octo-org/gateway/issues/7/comments?per_page=30&page=2>; rel="next", ` +
          `<${server.url}/repos/octo-org/gateway/issues/7/comments?per_page=30&page=3>; rel="last"`,
      );
      expect(all.map((c) => c.body)).toEqual(comments.map((c) => c.body));
      const pages = server.calls.slice(1).map((call) => call.query['page'] ?? '1');
      expect(pages).toEqual(['1', '2', '3']);
    });

    it('answers a short list without a Link header, with 30 a page by default', async () => {
      await start({ issues: [{ number: 7 }], comments: [{ issueNumber: 7, body: 'only' }] });

      const { data, headers } = await octokit.rest.issues.listComments({ ...repo, issue_number: 7 });

      expect(data.map((c) => c.body)).toEqual(['only']);
      expect(headers.link).toBeUndefined();
    });
  });

  describe('labels', () => {
    it('removes a label and answers the labels left; a label not on the issue is 404', async () => {
      await start({ issues: [{ number: 7, labels: ['parallel-agents', 'bug'] }] });

      const { data } = await octokit.rest.issues.removeLabel({
        ...repo,
        issue_number: 7,
        name: 'parallel-agents',
      });
      const again = await failure(
        octokit.rest.issues.removeLabel({ ...repo, issue_number: 7, name: 'parallel-agents' }),
      );

      expect(data.map((l) => l.name)).toEqual(['bug']);
      expect(server.state.issues[0]?.labels).toEqual(['bug']);
      expect(again).toMatchObject({ status: 404, data: { message: 'Label does not exist' } });
      expect(server.calls[0]?.path).toBe('/repos/octo-org/gateway/issues/7/labels/parallel-agents');
    });

    it('decodes label names with spaces and slashes', async () => {
      await start({ issues: [{ number: 7, labels: ['agents: run/now'] }] });

      await octokit.rest.issues.removeLabel({ ...repo, issue_number: 7, name: 'agents: run/now' });

      expect(server.state.issues[0]?.labels).toEqual([]);
    });
  });

  describe('permissions', () => {
    it('answers a collaborator’s permission and role; anyone else has none', async () => {
      await start({ permissions: { mona: 'maintain', hubot: 'triage' } });

      const mona = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: 'mona' });
      const hubot = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: 'hubot' });
      const stranger = await octokit.rest.repos.getCollaboratorPermissionLevel({
        ...repo,
        username: 'stranger',
      });

      expect(mona.data).toMatchObject({
        permission: 'write',
        role_name: 'maintain',
        user: {
          login: 'mona',
          permissions: { admin: false, maintain: true, push: true, triage: true, pull: true },
        },
      });
      expect(hubot.data).toMatchObject({ permission: 'read', role_name: 'triage' });
      expect(stranger.data).toMatchObject({ permission: 'none', user: { login: 'stranger' } });
    });
  });

  describe('pull requests', () => {
    it('opens a draft pull request numbered after the issues, and finds it by owner:branch', async () => {
      await start({ issues: [{ number: 7 }] });

      const created = await octokit.rest.pulls.create({
        ...repo,
        title: 'BAC-1: Add a changelog',
        head: 'parallel-agents/bac-1-add-a-changelog',
        base: 'main',
        body: 'Fixes BAC-1\n\nPart of #7',
        draft: true,
      });
      const open = await octokit.rest.pulls.list({
        ...repo,
        head: 'octo-org:parallel-agents/bac-1-add-a-changelog',
        state: 'open',
      });
      const other = await octokit.rest.pulls.list({ ...repo, head: 'octo-org:elsewhere', state: 'open' });

      expect(created.status).toBe(201);
      expect(created.data).toMatchObject({
        number: 8,
        html_url: 'https://github.com/octo-org/gateway/pull/8',
        draft: true,
        state: 'open',
        title: 'BAC-1: Add a changelog',
        body: 'Fixes BAC-1\n\nPart of #7',
        head: {
          ref: 'parallel-agents/bac-1-add-a-changelog',
          label: 'octo-org:parallel-agents/bac-1-add-a-changelog',
        },
        base: { ref: 'main' },
      });
      expect(open.data.map((p) => p.number)).toEqual([8]);
      expect(other.data).toEqual([]);
      expect(server.state.pulls).toEqual([expect.objectContaining({ number: 8, draft: true, base: 'main' })]);
      expect(server.state.issues.find((i) => i.number === 8)).toMatchObject({ pullRequest: true });
      const example = examplePayload('pull_request', 12) as { pull_request: Record<string, unknown> };
      expect(keysOf(created.data)).toEqual(expect.arrayContaining(keysOf(example.pull_request)));
      const head = example.pull_request['head'] as Record<string, unknown>;
      expect(keysOf(created.data.head)).toEqual(expect.arrayContaining(keysOf(head)));
      expect(keysOf(created.data.head.repo)).toEqual(expect.arrayContaining(keysOf(head['repo'])));
    });

    it('refuses a second open pull request for the same branch, like GitHub', async () => {
      await start({ pulls: [{ head: 'parallel-agents/bac-1', base: 'main' }] });

      const duplicate = await failure(
        octokit.rest.pulls.create({ ...repo, title: 'Again', head: 'parallel-agents/bac-1', base: 'main' }),
      );

      expect(duplicate).toMatchObject({
        status: 422,
        data: {
          message: 'Validation Failed',
          errors: [{ message: 'A pull request already exists for octo-org:parallel-agents/bac-1.' }],
        },
      });
    });

    it('filters nothing by a head without an owner, as GitHub does', async () => {
      await start({ pulls: [{ head: 'a' }, { head: 'b' }, { head: 'c', state: 'closed' }] });

      const bare = await octokit.rest.pulls.list({ ...repo, head: 'a' });
      const all = await octokit.rest.pulls.list({ ...repo, state: 'all' });

      expect(bare.data.map((p) => p.head.ref)).toEqual(['b', 'a']);
      expect(all.data.map((p) => p.head.ref)).toEqual(['c', 'b', 'a']);
    });
  });

  describe('authentication and records', () => {
    it('answers 401 Bad credentials to a client without a token, or with one it does not accept', async () => {
      await start({ issues: [{ number: 7 }], tokens: [TOKEN] });

      const anonymous = await failure(
        new GitHub({ baseUrl: server.url }).rest.issues.get({ ...repo, issue_number: 7 }),
      );
      const wrong = await failure(
        getOctokit('ghs_wrong', { baseUrl: server.url }).rest.issues.get({ ...repo, issue_number: 7 }),
      );
      const right = await octokit.rest.issues.get({ ...repo, issue_number: 7 });

      expect(anonymous).toMatchObject({ status: 401, data: { message: 'Bad credentials' } });
      expect(wrong).toMatchObject({ status: 401, data: { message: 'Bad credentials' } });
      expect(right.status).toBe(200);
      expect(server.calls.map((c) => [c.auth, c.status])).toEqual([
        [false, 401],
        [true, 401],
        [true, 200],
      ]);
    });

    it('accepts Bearer tokens as well as token ones', async () => {
      await start({ issues: [{ number: 7 }] });

      const response = await fetch(`${server.url}/repos/octo-org/gateway/issues/7`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });

      expect(response.status).toBe(200);
    });

    it('records each call: method, path, route, query, body, time and whether it was authorised', async () => {
      await start({ issues: [{ number: 7 }] });
      const before = Date.now();

      await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'hello' });
      await octokit.rest.issues.listComments({ ...repo, issue_number: 7, per_page: 5 });

      expect(server.calls).toEqual([
        {
          method: 'POST',
          path: '/repos/octo-org/gateway/issues/7/comments',
          route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
          query: {},
          body: { body: 'hello' },
          time: expect.any(Number),
          auth: true,
          status: 201,
        },
        {
          method: 'GET',
          path: '/repos/octo-org/gateway/issues/7/comments',
          route: 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
          query: { per_page: '5' },
          body: undefined,
          time: expect.any(Number),
          auth: true,
          status: 200,
        },
      ]);
      expect(server.calls[0]!.time).toBeGreaterThanOrEqual(before);
    });

    it('answers 404 to a route it does not know', async () => {
      await start();

      const unknown = await failure(octokit.request('GET /repos/{owner}/{repo}/releases', repo));

      expect(unknown).toMatchObject({ status: 404, data: { message: 'Not Found' } });
      expect(server.calls[0]?.route).toBeUndefined();
    });

    it('reads and changes the state tests hand it while it runs', async () => {
      await start();
      server.state.issues.push({
        number: 12,
        title: 'Added later',
        body: null,
        user: 'mona',
        labels: [],
        state: 'open',
        pullRequest: false,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      });
      server.state.permissions['mona'] = 'admin';

      const issue = await octokit.rest.issues.get({ ...repo, issue_number: 12 });
      const permission = await octokit.rest.repos.getCollaboratorPermissionLevel({
        ...repo,
        username: 'mona',
      });

      expect(issue.data).toMatchObject({
        title: 'Added later',
        body: null,
        author_association: 'COLLABORATOR',
      });
      expect(permission.data.permission).toBe('admin');
    });
  });

  describe('faults', () => {
    it('fails the next calls to a route with the status given, then answers again', async () => {
      await start({
        issues: [{ number: 7 }],
        faults: [
          {
            route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
            kind: 'status',
            status: 502,
            times: 2,
          },
        ],
      });
      const post = () => octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'hi' });

      const first = await failure(post());
      const second = await failure(post());
      const read = await octokit.rest.issues.get({ ...repo, issue_number: 7 });
      const third = await post();

      expect([first.status, second.status, read.status, third.status]).toEqual([502, 502, 200, 201]);
      expect(first.data).toMatchObject({ message: 'Bad Gateway' });
      expect(server.state.comments).toHaveLength(1);
    });

    it('answers a secondary rate limit with 403 and retry-after', async () => {
      await start({ issues: [{ number: 7 }] });
      server.inject({ route: '*', kind: 'secondary-rate-limit', retryAfterSeconds: 3 });

      const limited = await failure(octokit.rest.issues.get({ ...repo, issue_number: 7 }));

      expect(limited.status).toBe(403);
      expect(limited.headers['retry-after']).toBe('3');
      expect(limited.data).toMatchObject({ message: expect.stringContaining('secondary rate limit') });
      expect((await octokit.rest.issues.get({ ...repo, issue_number: 7 })).status).toBe(200);
    });

    it('answers a spent primary rate limit with 403, no requests remaining and the reset time', async () => {
      await start({ issues: [{ number: 7 }] });
      server.inject({ route: 'GET /repos/{owner}/{repo}/issues/{issue_number}', kind: 'rate-limit' });

      const limited = await failure(octokit.rest.issues.get({ ...repo, issue_number: 7 }));

      expect(limited.status).toBe(403);
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    });
  });
});
