import type { MergeCheck } from '../../src/checks.js';
import type { RunEvent } from '../../src/events.js';
import { PRICES } from '../../src/model/pricing.js';
import { renderNextSteps } from '../../src/report/next-steps.js';
import { MENTION_BREAK } from '../../src/report/sanitize.js';
import { notStarted, type AgentResult } from '../../src/result.js';
import { initialRunState, runReducer, type RunState } from '../../src/run-state.js';

const T0 = 1_700_000_000_000;
const REPO = 'https://github.com/octo-org/gateway';

function ran(id: string, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: T0,
    endedAt: T0 + 5_000,
    seconds: 5,
    turns: 3,
    toolCalls: 4,
    usage: { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.01,
    report: '',
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: '0123456789abcdef0123456789abcdef01234567',
    pushed: true,
    filesChanged: ['src/router.js'],
    insertions: 1,
    deletions: 0,
    ...overrides,
  };
}

const pr = (number: number) => ({ pullRequest: { number, url: `${REPO}/pull/${number}` } });

/** The ended run of `results`, with `check` as its merge check. */
function ended(results: AgentResult[], check?: MergeCheck): RunState {
  const events: RunEvent[] = [
    {
      type: 'run-started',
      at: T0,
      tasks: results.map(({ id, title, model }) => ({ id, title, model })),
      concurrency: 4,
      source: 'issue #7',
    },
    ...results.map((r): RunEvent => ({ type: 'ended', task: r.id, at: r.endedAt, result: r })),
    ...(check ? [{ type: 'merge-check', at: T0 + 6_000, check } as const] : []),
    { type: 'run-ended', at: T0 + 6_000 },
  ];
  return events.reduce(runReducer(PRICES), initialRunState());
}

const check = (over: Partial<MergeCheck>): MergeCheck => ({
  branches: [],
  conflicts: [],
  order: [],
  leftOut: [],
  ...over,
});

describe('renderNextSteps', () => {
  it('says nothing at all when every task succeeded with nothing to merge', () => {
    expect(renderNextSteps(ended([ran('BAC-1'), ran('BAC-2')]), { commentOn: 7 })).toBe('');
  });

  it('lists the pull requests by number, a stacked one after what it builds on', () => {
    const state = ended([
      ran('BAC-13', { ...pr(101), buildsOn: ['BAC-12'] }),
      ran('BAC-12', pr(102)),
      ran('BAC-11', pr(100)),
    ]);
    const out = renderNextSteps(state);
    expect(out.split('\n')[0]).toBe('### What next');
    expect(out).toContain(
      `- **Merge** in this order: 1. [#100](${REPO}/pull/100) BAC-11 · 2. [#102](${REPO}/pull/102) BAC-12 · 3. [#101](${REPO}/pull/101) BAC-13 (after #102)`,
    );
  });

  it('says where commands go only when it gives one', () => {
    const merged = renderNextSteps(ended([ran('BAC-1', pr(100))]), { commentOn: 7 });
    expect(merged).toContain('**Merge**');
    expect(merged).not.toContain('Commands go');
  });

  it('lists a combined pull request once, with its tasks', () => {
    const state = ended([ran('BAC-1', pr(9)), ran('BAC-2', pr(9))]);
    expect(renderNextSteps(state)).toContain(
      `- **Merge** in this order: 1. [#9](${REPO}/pull/9) BAC-1, BAC-2`,
    );
  });

  it('gives each conflict the re-run that resolves it, after the branch it conflicts with is merged', () => {
    const state = ended(
      [ran('BAC-12', pr(100)), ran('BAC-14', pr(101))],
      check({
        branches: [
          { task: 'BAC-12', branch: 'parallel-agents/bac-12' },
          { task: 'BAC-14', branch: 'parallel-agents/bac-14' },
        ],
        conflicts: [{ tasks: ['BAC-14', 'BAC-12'], files: ['src/router.js'] }],
        order: ['BAC-12'],
        leftOut: [{ task: 'BAC-14', reason: 'conflicts with BAC-12' }],
      }),
    );
    const out = renderNextSteps(state, { commentOn: 7 });
    // The branch left out is not offered for merging: its re-run is.
    expect(out).toContain(`- **Merge** in this order: 1. [#100](${REPO}/pull/100) BAC-12\n`);
    expect(out).toContain(
      '- **BAC-14** conflicts with BAC-12 in `src/router.js`: after merging #100, `/agents run BAC-14`',
    );
    expect(out).toContain('_Commands go in a new comment on #7._');
    expect(renderNextSteps(state, { issue: 7 })).toContain(
      '- **BAC-14** conflicts with BAC-12 in `src/router.js`: run BAC-14 again after merging #100, so it starts from them',
    );
  });

  it('gives every task that did not succeed the comment that runs it again, and one for all of them', () => {
    const state = ended([
      ran('BAC-1', pr(5)),
      ran('BAC-2', { status: 'failed', error: 'boom' }),
      ran('BAC-3', {
        agentReport: { outcome: 'partial', summary: '', changes: [], risks: [], followUps: [] },
      }),
      notStarted({ id: 'BAC-4', title: 'After BAC-2' }, 'skipped', 'BAC-2 failed', 'claude-sonnet-4-5'),
    ]);
    const lines = renderNextSteps(state, { commentOn: 7 }).split('\n');
    expect(lines).toContain('- **BAC-2** ❌ failed: `/agents run BAC-2`');
    expect(lines).toContain('- **BAC-3** 🟡 partial: `/agents run BAC-3`');
    expect(lines).toContain('- **BAC-4** ⏭️ skipped: `/agents run BAC-4`');
    expect(lines).toContain('- All of them: `/agents run BAC-2 BAC-3 BAC-4`');
  });

  it('without a comment to start runs, names `only: failed` for a new run on the same issue, and nothing it refuses', () => {
    const state = ended([ran('BAC-1'), ran('BAC-2', { status: 'timeout' })]);
    const onIssue = renderNextSteps(state, { issue: 7 });
    expect(onIssue).toContain(
      '- **BAC-2** ⏱️ timed out: run the workflow again with `only: failed` and `issue-number: 7`',
    );
    expect(onIssue).not.toContain('/agents run');
    // `only: failed` needs an issue to read the last run from: without one it is not offered.
    const alone = renderNextSteps(state);
    expect(alone).not.toContain('`only: failed` and');
    expect(alone).toContain('every task runs');
  });

  it('gives the page that opens a refused pull request by hand', () => {
    const compareUrl = `${REPO}/compare/main...parallel-agents/bac-1?expand=1`;
    const state = ended([ran('BAC-1', { pullRequestNotOpened: { reason: '403', compareUrl } })]);
    expect(renderNextSteps(state)).toContain(
      `- **BAC-1**: open its pull request by hand ([compare](${compareUrl}))`,
    );
  });

  it('escapes task text: ids and file names cannot mention, link or break out', () => {
    const id = 'BAC-1 @octocat [x](https://evil.example) |';
    const state = ended(
      [ran('BAC-0', pr(3)), ran(id, { status: 'failed' })],
      check({
        conflicts: [{ tasks: ['BAC-0', id], files: ['a`b @team.md'] }],
        order: ['BAC-0'],
      }),
    );
    const out = renderNextSteps(state, { commentOn: 7 });
    // Ids are checked where tasks are read; one from elsewhere (a shard's record) gets no command.
    expect(out).not.toContain('@octocat');
    expect(out).not.toContain('/agents run BAC-1');
    expect(out).toContain(`@${MENTION_BREAK}octocat`);
    expect(out).not.toContain('](https://evil.example)');
    expect(out).toContain('``a`b @team.md``');
  });
});
