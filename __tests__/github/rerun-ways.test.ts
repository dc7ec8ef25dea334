import { decideTrigger } from '../../src/github/trigger.js';
import type { RunTrigger } from '../../src/github/trigger.js';
import { rerunWays } from '../../src/github/rerun-ways.js';

const SETTINGS = { triggerLabel: 'parallel-agents', commentCommand: true, allowedBots: [] };
const sender = { login: 'maintainer', type: 'User' };
const issue = { number: 7, user: { login: 'maintainer' } };

function trigger(event: string, payload: object): RunTrigger {
  const decision = decideTrigger(event, payload, SETTINGS);
  if (!decision.run) throw new Error(decision.reason);
  return decision;
}

describe('rerunWays', () => {
  const label = trigger('issues', { action: 'labeled', label: { name: 'parallel-agents' }, issue, sender });
  const comment = trigger('issue_comment', {
    action: 'created',
    comment: { body: '/agents run', id: 1 },
    issue,
    sender,
  });
  const dispatch = trigger('workflow_dispatch', { sender });

  it('offers `/agents run` on the issue a label or a comment started the run from', () => {
    expect(rerunWays(label, 7, true)).toEqual({ commentOn: 7, issue: 7 });
    expect(rerunWays(comment, 7, true)).toEqual({ commentOn: 7, issue: 7 });
  });

  it('offers `only: failed` where comments start no run: turned off, or a dispatch that keeps its comment on an issue', () => {
    expect(rerunWays(label, 7, false)).toEqual({ issue: 7 });
    expect(rerunWays(dispatch, 7, true)).toEqual({ issue: 7 });
  });

  it('offers neither without an issue to comment on', () => {
    expect(rerunWays(dispatch, undefined, true)).toEqual({});
    expect(rerunWays(label, undefined, true)).toEqual({});
  });
});
