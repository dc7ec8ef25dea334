import { getOctokit } from '@actions/github';
import { InputError } from '../../src/errors.js';
import {
  checkAccess,
  issueAuthor,
  repoPermission,
  satisfies,
  taskTextAuthor,
  type CheckAccessOptions,
} from '../../src/github/permission.js';
import { decideTrigger, type RunTrigger, type TriggerSettings } from '../../src/github/trigger.js';
import {
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../../support/github-server.js';
import { examplePayload } from '../../support/run-action.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const TOKEN = 'ghs_standInToken0123456789';
const SETTINGS: TriggerSettings = { triggerLabel: 'parallel-agents', commentCommand: true, allowedBots: [] };
const PERMISSION_ROUTE = 'GET /repos/{owner}/{repo}/collaborators/{username}/permission';

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: GitHubServer;
let octokit: ReturnType<typeof getOctokit>;

async function start(options: GitHubServerOptions = {}): Promise<void> {
  server = await startGitHubServer(options);
  octokit = getOctokit(TOKEN, { baseUrl: server.url });
}

afterEach(async () => {
  await server?.close();
});

/** The trigger of a real `issues` `labeled` payload: `labeller` added our label to an issue `author` wrote. */
function labelTrigger(labeller: string, author: string): RunTrigger {
  const payload = examplePayload('issues', 'labeled') as Payload;
  payload['label'].name = 'parallel-agents';
  payload['sender'].login = labeller;
  payload['issue'].user.login = author;
  const decision = decideTrigger('issues', payload, SETTINGS);
  if (!decision.run) throw new Error(decision.reason);
  return decision;
}

/** The trigger of a real `issue_comment` payload: `commenter` wrote `/agents run` on an issue `author` wrote. */
function commentTrigger(commenter: string, author: string): RunTrigger {
  const payload = examplePayload('issue_comment', 'created') as Payload;
  payload['comment'].body = '/agents run';
  payload['comment'].user.login = commenter;
  payload['sender'].login = commenter;
  payload['issue'].user.login = author;
  const decision = decideTrigger('issue_comment', payload, SETTINGS);
  if (!decision.run) throw new Error(decision.reason);
  return decision;
}

function options(trigger: RunTrigger, extra: Partial<CheckAccessOptions> = {}): CheckAccessOptions {
  return {
    octokit: () => octokit,
    repo,
    trigger,
    required: 'write',
    untrustedText: 'refuse',
    textAuthor: trigger.issue?.author,
    bash: false,
    ...extra,
  };
}

function permissionLookUps(): string[] {
  return server.calls
    .filter((c) => c.route === PERMISSION_ROUTE)
    .map((c) => decodeURIComponent(c.path.split('/')[5]!));
}

describe('repoPermission', () => {
  it('reads every role from role_name, maintain and triage included', async () => {
    await start({
      permissions: { ada: 'admin', max: 'maintain', wes: 'write', tri: 'triage', rea: 'read' },
    });

    const roles = await Promise.all(
      ['ada', 'max', 'wes', 'tri', 'rea', 'stranger'].map((login) => repoPermission(octokit, repo, login)),
    );

    expect(roles).toEqual(['admin', 'maintain', 'write', 'triage', 'read', 'none']);
  });

  it('orders permissions read < triage < write < maintain < admin', () => {
    expect(satisfies('maintain', 'write')).toBe(true);
    expect(satisfies('write', 'write')).toBe(true);
    expect(satisfies('triage', 'write')).toBe(false);
    expect(satisfies('none', 'read')).toBe(false);
    expect(satisfies('read', 'read')).toBe(true);
  });
});

describe('checkAccess', () => {
  it('lets a writer who labels their own issue run', async () => {
    await start({ permissions: { maintainer: 'write' } });

    const decision = await checkAccess(options(labelTrigger('maintainer', 'maintainer')));

    expect(decision).toEqual({
      allowed: true,
      notes: ['`maintainer` has write permission (write required)'],
    });
    expect(permissionLookUps()).toEqual(['maintainer']);
  });

  it('refuses a reader’s label, saying who lacks what', async () => {
    await start({ permissions: { reader: 'read' } });

    const decision = await checkAccess(options(labelTrigger('reader', 'reader')));

    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBe(
      '`reader` has only read permission on this repository; starting a run takes write (`required-permission`).',
    );
  });

  it('refuses a reader’s `/agents run` comment', async () => {
    await start({ permissions: { reader: 'triage', maintainer: 'admin' } });

    const decision = await checkAccess(options(commentTrigger('reader', 'maintainer')));

    expect(decision).toMatchObject({
      allowed: false,
      refusal: expect.stringContaining('`reader` has only triage'),
    });
  });

  it('refuses a writer who labels a stranger’s issue: the stranger’s text would steer the agents', async () => {
    await start({ permissions: { maintainer: 'write' } });

    const decision = await checkAccess(options(labelTrigger('maintainer', 'stranger')));

    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBe(
      '`stranger` wrote the tasks in issue #1 but has no permission on this repository (write required). Text from someone without write permission does not steer agents here: a maintainer can copy the tasks into an issue of their own, or set `untrusted-text: read-only` to run them without a shell.',
    );
    expect(permissionLookUps()).toEqual(['maintainer', 'stranger']);
  });

  it('runs a stranger’s tasks without bash under untrusted-text: read-only, and says so', async () => {
    await start({ permissions: { maintainer: 'write' } });

    const decision = await checkAccess(
      options(labelTrigger('maintainer', 'stranger'), { untrustedText: 'read-only', bash: true }),
    );

    expect(decision).toEqual({
      allowed: true,
      dropBash: true,
      warning:
        '`stranger` wrote the tasks in issue #1 but has no permission on this repository (write required): the agents run without `bash` (`untrusted-text: read-only`)',
      notes: [
        '`maintainer` has write permission (write required)',
        '`stranger` wrote the tasks in issue #1 but has no permission on this repository (write required): the agents run without `bash` (`untrusted-text: read-only`)',
      ],
    });
  });

  it('trusts a stranger’s issue when the tasks do not come from it', async () => {
    await start({ permissions: { maintainer: 'write' } });

    const decision = await checkAccess(
      options(labelTrigger('maintainer', 'stranger'), { textAuthor: undefined }),
    );

    expect(decision.allowed).toBe(true);
    expect(permissionLookUps()).toEqual(['maintainer']);
  });

  it('takes workflow_dispatch as write, with no look-up', async () => {
    await start();
    const trigger = decideTrigger('workflow_dispatch', examplePayload('workflow_dispatch'), SETTINGS);
    if (!trigger.run) throw new Error(trigger.reason);

    const decision = await checkAccess(options(trigger, { octokit: () => undefined }));

    expect(decision).toEqual({
      allowed: true,
      notes: ['`octocat` started the workflow by hand, which takes write permission'],
    });
  });

  it('looks a dispatcher up when more than write is required', async () => {
    await start({ permissions: { octocat: 'write' } });
    const trigger = decideTrigger('workflow_dispatch', examplePayload('workflow_dispatch'), SETTINGS);
    if (!trigger.run) throw new Error(trigger.reason);

    const decision = await checkAccess(options(trigger, { required: 'admin' }));

    expect(decision).toMatchObject({ allowed: false, refusal: expect.stringContaining('takes admin') });
  });

  it('checks the author of an issue-number a dispatch reads its tasks from', async () => {
    await start({ issues: [{ number: 12, user: 'stranger', body: '- BAC-1' }] });
    const trigger = decideTrigger('workflow_dispatch', examplePayload('workflow_dispatch'), SETTINGS);
    if (!trigger.run) throw new Error(trigger.reason);

    const author = await issueAuthor(octokit, repo, 12);
    const decision = await checkAccess(options(trigger, { textAuthor: author }));

    expect(author).toBe('stranger');
    expect(decision).toMatchObject({
      allowed: false,
      refusal: expect.stringContaining('`stranger` wrote the tasks'),
    });
  });

  it('fails closed when the look-up fails, and when there is no token', async () => {
    await start({ permissions: { maintainer: 'admin' } });
    server.inject({ route: PERMISSION_ROUTE, kind: 'status', status: 502 });

    const failed = await checkAccess(options(labelTrigger('maintainer', 'maintainer')));
    const tokenless = await checkAccess(
      options(labelTrigger('maintainer', 'maintainer'), { octokit: () => undefined }),
    );

    expect(failed).toMatchObject({
      allowed: false,
      refusal: expect.stringContaining(
        'could not check whether `maintainer` may start a run: the permission look-up failed (HTTP 502)',
      ),
    });
    expect(tokenless).toMatchObject({
      allowed: false,
      refusal: expect.stringContaining('no `github-token`'),
    });
  });
});

describe('taskTextAuthor', () => {
  it('is nobody when the tasks do not come from an issue', async () => {
    await start();

    expect(
      await taskTextAuthor({
        trigger: labelTrigger('m', 'stranger'),
        readsIssue: false,
        octokit: () => octokit,
        repo,
      }),
    ).toBeUndefined();
  });

  it('is the triggering issue’s author, from the payload', async () => {
    await start();

    const author = await taskTextAuthor({
      trigger: labelTrigger('m', 'stranger'),
      readsIssue: true,
      issueNumber: 1,
      octokit: () => octokit,
      repo,
    });

    expect(author).toBe('stranger');
    expect(server.calls).toEqual([]);
  });

  it('looks up the author of another issue that issue-number names, and says when it does not exist', async () => {
    await start({ issues: [{ number: 12, user: 'someone' }] });
    const trigger = decideTrigger('workflow_dispatch', examplePayload('workflow_dispatch'), SETTINGS);
    if (!trigger.run) throw new Error(trigger.reason);

    const author = await taskTextAuthor({
      trigger,
      readsIssue: true,
      issueNumber: 12,
      octokit: () => octokit,
      repo,
    });
    const missing = taskTextAuthor({
      trigger,
      readsIssue: true,
      issueNumber: 99,
      octokit: () => octokit,
      repo,
    });

    expect(author).toBe('someone');
    await expect(missing).rejects.toThrow(InputError);
    await expect(missing).rejects.toThrow(
      'input `issue-number`: issue #99 was not found in octo-org/gateway.',
    );
  });
});
