import { InputError } from '../../src/errors.js';
import {
  botAllowed,
  commentIssue,
  decideTrigger,
  forkRestriction,
  parseCommand,
  selectTasks,
  type TriggerSettings,
} from '../../src/github/trigger.js';
import { readSettings } from '../../src/settings.js';
import { parseMarkdownTasks } from '../../src/tasks/markdown.js';
import { examplePayload } from '../../support/run-action.js';

const SETTINGS: TriggerSettings = { triggerLabel: 'parallel-agents', commentCommand: true, allowedBots: [] };

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A real `labeled` payload of `event`, with the label renamed. */
function labeled(event: 'issues' | 'pull_request', label = 'parallel-agents'): Payload {
  const payload = examplePayload(event, 'labeled') as Payload;
  payload['label'].name = label;
  return payload;
}

/** A real `issue_comment` `created` payload with the comment's body replaced. */
function comment(body: string): Payload {
  const payload = examplePayload('issue_comment', 'created') as Payload;
  payload['comment'].body = body;
  return payload;
}

/** Makes the payload's sender (and the comment's author, when there is one) a bot. */
function byBot(payload: Payload, login: string): Payload {
  payload['sender'] = { ...payload['sender'], login, type: 'Bot' };
  if (payload['comment']) payload['comment'].user = { ...payload['comment'].user, login, type: 'Bot' };
  return payload;
}

describe('the settings these tests take', () => {
  it('are the defaults, with write required and a stranger’s text refused', () => {
    const settings = readSettings((name) => (name === 'anthropic-api-key' ? 'sk-test' : ''), {});

    expect(settings).toMatchObject({
      ...SETTINGS,
      requiredPermission: 'write',
      untrustedText: 'refuse',
      allowForks: false,
    });
  });
});

describe('decideTrigger', () => {
  it('runs a workflow_dispatch, by whoever dispatched it', () => {
    const decision = decideTrigger('workflow_dispatch', examplePayload('workflow_dispatch'), SETTINGS);

    expect(decision).toEqual({
      run: true,
      kind: 'dispatch',
      eventName: 'workflow_dispatch',
      actor: 'octocat',
      actorIsBot: false,
    });
  });

  it('runs when the trigger label is added to an issue, naming the labeller and the body’s author', () => {
    const payload = labeled('issues');
    payload['sender'].login = 'maintainer';

    const decision = decideTrigger('issues', payload, SETTINGS);

    expect(decision).toEqual({
      run: true,
      kind: 'label',
      eventName: 'issues',
      actor: 'maintainer',
      actorIsBot: false,
      issue: { number: 1, isPullRequest: false, author: 'Codertocat' },
      label: 'parallel-agents',
    });
  });

  it('matches the label whatever its case, as GitHub does', () => {
    expect(decideTrigger('issues', labeled('issues', 'Parallel-Agents'), SETTINGS)).toMatchObject({
      run: true,
      label: 'Parallel-Agents',
    });
  });

  it('does nothing for another label, and says which label it was', () => {
    const decision = decideTrigger('issues', labeled('issues', 'bug'), SETTINGS);

    expect(decision).toEqual({
      run: false,
      reason: 'label "bug" was added to issue #1; only "parallel-agents" (`trigger-label`) starts a run',
    });
  });

  it('does nothing when a label is removed, the trigger label included', () => {
    const payload = examplePayload('issues', 'unlabeled') as Payload;
    payload['label'].name = 'parallel-agents';

    expect(decideTrigger('issues', payload, SETTINGS)).toMatchObject({ run: false });
  });

  it('reads a custom trigger label', () => {
    const settings = { ...SETTINGS, triggerLabel: 'agents' };

    expect(decideTrigger('issues', labeled('issues', 'agents'), settings)).toMatchObject({ run: true });
    expect(decideTrigger('issues', labeled('issues', 'parallel-agents'), settings)).toMatchObject({
      run: false,
    });
  });

  it('runs for a labelled pull request, saying whether it comes from a fork', () => {
    const same = decideTrigger('pull_request', labeled('pull_request'), SETTINGS);
    const forked = labeled('pull_request');
    forked['pull_request'].head.repo.full_name = 'stranger/Hello-World';

    expect(same).toMatchObject({
      run: true,
      kind: 'label',
      issue: { number: 2, isPullRequest: true, author: 'Codertocat', fromFork: false },
    });
    expect(decideTrigger('pull_request_target', forked, SETTINGS)).toMatchObject({
      run: true,
      eventName: 'pull_request_target',
      issue: { fromFork: true },
    });
  });

  it("restricts a fork's pull request to untrusted text unless allow-forks says otherwise", () => {
    const forked = labeled('pull_request');
    forked['pull_request'].head.repo = null;
    const fork = decideTrigger('pull_request', forked, SETTINGS);
    if (!fork.run) throw new Error('the fork should run');
    expect(forkRestriction(fork, false)).toBe(
      'pull request #2 comes from a fork: the agents run without `bash`, `setup` and `verify` (set `allow-forks: true` to run it as any other)',
    );
    expect(forkRestriction(fork, true)).toBeUndefined();
    for (const [event, payload] of [
      ['pull_request', labeled('pull_request')],
      ['issues', labeled('issues')],
      ['issue_comment', comment('/agents run')],
    ] as const) {
      const decision = decideTrigger(event, payload, SETTINGS);
      if (!decision.run) throw new Error(`${event} should run`);
      expect(forkRestriction(decision, false)).toBeUndefined();
    }
  });

  it('runs on `/agents run` with every task, and on `/agents run BAC-1 BAC-2` with those', () => {
    const all = decideTrigger('issue_comment', comment('/agents run'), SETTINGS);
    const some = decideTrigger(
      'issue_comment',
      comment('/agents run BAC-1 BAC-2\nThe rest can wait.'),
      SETTINGS,
    );

    expect(all).toEqual({
      run: true,
      kind: 'comment',
      eventName: 'issue_comment',
      actor: 'Codertocat',
      actorIsBot: false,
      issue: { number: 1, isPullRequest: false, author: 'Codertocat' },
      commentId: 492700400,
    });
    expect(some).toMatchObject({ run: true, kind: 'comment', selected: ['BAC-1', 'BAC-2'] });
  });

  it('ignores a comment that is not a command', () => {
    for (const body of [
      "You are totally right! I'll get this fixed right away.",
      'Please /agents run BAC-1',
      '/agents running late',
      '/agents',
    ]) {
      expect(decideTrigger('issue_comment', comment(body), SETTINGS)).toEqual({
        run: false,
        reason: 'the comment is not an `/agents run` command',
      });
    }
  });

  it('ignores an edited or deleted comment, command or not', () => {
    for (const action of ['edited', 'deleted']) {
      const payload = examplePayload('issue_comment', action) as Payload;
      payload['comment'].body = '/agents run';
      expect(decideTrigger('issue_comment', payload, SETTINGS)).toMatchObject({ run: false });
    }
  });

  it('ignores commands when comment-command is off', () => {
    const decision = decideTrigger('issue_comment', comment('/agents run'), {
      ...SETTINGS,
      commentCommand: false,
    });

    expect(decision).toEqual({
      run: false,
      reason: '`/agents run` comments are turned off (`comment-command: false`)',
    });
  });

  it('never lets a bot start a run, its own github-actions[bot] included', () => {
    const ours = decideTrigger(
      'issue_comment',
      byBot(comment('/agents run'), 'github-actions[bot]'),
      SETTINGS,
    );
    const renovate = decideTrigger('issues', byBot(labeled('issues'), 'renovate[bot]'), SETTINGS);

    expect(ours).toEqual({
      run: false,
      reason: 'github-actions[bot] is a bot, and `allowed-bots` does not list it',
    });
    expect(renovate).toMatchObject({ run: false });
  });

  it('lets a bot that allowed-bots lists start a run', () => {
    const settings = { ...SETTINGS, allowedBots: ['renovate'] };

    expect(decideTrigger('issues', byBot(labeled('issues'), 'renovate[bot]'), settings)).toMatchObject({
      run: true,
      actor: 'renovate[bot]',
      actorIsBot: true,
    });
    expect(decideTrigger('issues', byBot(labeled('issues'), 'dependabot[bot]'), settings)).toMatchObject({
      run: false,
    });
  });

  it('leaves other events to the workflow that chose them', () => {
    const push = decideTrigger('push', examplePayload('push'), SETTINGS);
    const opened = decideTrigger('pull_request', examplePayload('pull_request', 'opened'), SETTINGS);

    expect(push).toMatchObject({ run: true, kind: 'event', actor: 'Codertocat' });
    expect(opened).toMatchObject({ run: true, kind: 'event', issue: { number: 2 } });
  });

  it('takes GITHUB_ACTOR when the payload names no sender', () => {
    expect(decideTrigger('schedule', {}, SETTINGS, 'octocat')).toMatchObject({ run: true, actor: 'octocat' });
  });
});

describe('parseCommand', () => {
  it.each([
    ['/agents run', []],
    ['  /agents run  ', []],
    ['/Agents Run BAC-1', ['BAC-1']],
    ['/agents run BAC-1, BAC-2', ['BAC-1', 'BAC-2']],
    ['/agents run bac-1\r\nmore', ['bac-1']],
  ])('reads %j as %j', (body, ids) => {
    expect(parseCommand(body)).toEqual(ids);
  });

  it.each(['', 'agents run', '/agents runs', '/agents rerun', 'hi\n/agents run'])(
    'does not read %j',
    (body) => {
      expect(parseCommand(body)).toBeNull();
    },
  );
});

describe('botAllowed', () => {
  it('matches with or without [bot], in any case, and * matches every bot', () => {
    expect(botAllowed('renovate[bot]', ['Renovate'])).toBe(true);
    expect(botAllowed('renovate[bot]', ['renovate[bot]'])).toBe(true);
    expect(botAllowed('github-actions[bot]', ['*'])).toBe(true);
    expect(botAllowed('renovate[bot]', ['dependabot'])).toBe(false);
    expect(botAllowed('renovate[bot]', [])).toBe(false);
  });
});

describe('selectTasks', () => {
  const set = parseMarkdownTasks(
    ['- BAC-1: Base', '- BAC-2: On top', '  depends on: BAC-1', '- BAC-3: Apart'].join('\n'),
    'issue #7',
  ).set;

  it('keeps every task when nothing was selected', () => {
    expect(selectTasks(set, undefined)).toEqual({ set, notes: [] });
  });

  it('keeps the selected tasks and takes a dependency left out as done', () => {
    const { set: selected, notes } = selectTasks(set, ['BAC-2', 'BAC-3']);

    expect(selected.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['BAC-2', []],
      ['BAC-3', []],
    ]);
    expect(notes).toEqual([
      'Selected by the comment: BAC-2, BAC-3',
      'BAC-2: not waiting for BAC-1, which the comment did not select',
    ]);
  });

  it('names an id the list does not have, and the ids it does', () => {
    const error = (() => {
      try {
        selectTasks(set, ['BAC-9', 'bac-1']);
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'the `/agents run` comment: "BAC-9", "bac-1" are not tasks of issue #7. Name tasks the list has (BAC-1, BAC-2, BAC-3), or write `/agents run` alone for every task',
    );
  });
});

describe('commentIssue', () => {
  function run(event: string, payload: Payload) {
    const decision = decideTrigger(event, payload, SETTINGS);
    if (!decision.run) throw new Error(decision.reason);
    return decision;
  }

  it('comments on the issue a label or a command came from', () => {
    expect(commentIssue(run('issues', labeled('issues')), undefined)).toBe(1);
    expect(commentIssue(run('issue_comment', comment('/agents run')), undefined)).toBe(1);
  });

  it('comments on issue-number when it is given, and nowhere for a dispatch or another event without it', () => {
    expect(commentIssue(run('workflow_dispatch', examplePayload('workflow_dispatch')), 12)).toBe(12);
    expect(
      commentIssue(run('workflow_dispatch', examplePayload('workflow_dispatch')), undefined),
    ).toBeUndefined();
    expect(
      commentIssue(run('pull_request', examplePayload('pull_request', 'opened')), undefined),
    ).toBeUndefined();
  });
});
