import type { AgentResult } from '../../src/result.js';
import { notStarted } from '../../src/result.js';
import { PRICES } from '../../src/model/pricing.js';
import type { RunEvent } from '../../src/events.js';
import {
  COMMENT_MAX_CHARS,
  renderComment,
  renderInputError,
  renderRefusal,
  runUrl,
} from '../../src/report/comment.js';
import { MENTION_BREAK } from '../../src/report/sanitize.js';
import { initialRunState, runReducer, type RunState } from '../../src/run-state.js';

const T0 = 1_700_000_000_000;
const RUN_URL = 'https://github.com/octo-org/gateway/actions/runs/42';

function ran(id: string, from: number, to: number, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: T0 + from * 1000,
    endedAt: T0 + to * 1000,
    seconds: to - from,
    turns: 3,
    toolCalls: 4,
    usage: { input: 1500, output: 1200, cacheWrite: 2000, cacheRead: 10_000 },
    costUsd: 0.0348,
    report: `Report of ${id}.`,
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: '0123456789abcdef0123456789abcdef01234567',
    pushed: true,
    filesChanged: ['src/router.ts'],
    insertions: 40,
    deletions: 3,
    ...overrides,
  };
}

/** The state after `events`, folded the way the run folds them. */
function stateAfter(events: RunEvent[], from: RunState = initialRunState()): RunState {
  return events.reduce(runReducer(PRICES), from);
}

function tasks(n: number, title = (i: number) => `Task ${i}`) {
  return Array.from({ length: n }, (_, i) => ({
    id: `BAC-${i + 1}`,
    title: title(i + 1),
    model: 'claude-sonnet-4-5',
  }));
}

const started = (n: number, concurrency = 4): RunEvent => ({
  type: 'run-started',
  at: T0,
  tasks: tasks(n),
  concurrency,
  source: 'issue #7',
});

/** Every task ended with `result(i)`, and the run with them. */
function finished(results: AgentResult[], concurrency = 4): RunState {
  return stateAfter([
    {
      type: 'run-started',
      at: T0,
      tasks: results.map((r) => ({ id: r.id, title: r.title, model: r.model })),
      concurrency,
      source: 'issue #7',
    },
    ...results.map((r): RunEvent => ({ type: 'ended', task: r.id, at: r.endedAt, result: r })),
    { type: 'run-ended', at: T0 + 60_000 },
  ]);
}

/** The table's row of one task. */
function rowOf(body: string, id: string): string {
  return body.split('\n').find((line) => line.startsWith(`| **${id}** |`)) ?? '';
}

describe('renderComment', () => {
  it('at the start, says it is starting, links the run and shows no table yet', () => {
    const body = renderComment(initialRunState(), { runUrl: RUN_URL });

    expect(body).toContain('### ⏳ parallel-agents: starting');
    expect(body).toContain(`[workflow run](${RUN_URL})`);
    expect(body).not.toContain('| Task |');
  });

  it('once the plan is made, lists every task as queued with the plan folded under the table', () => {
    const body = renderComment(stateAfter([started(3)]), {
      runUrl: RUN_URL,
      plan: '### Plan\n\n3 tasks · 1 level',
    });

    expect(body).toContain('### 🏃 parallel-agents: 0/3 running · 3 queued · $0.00');
    expect(body).toContain('3 agents, up to 4 at once · tasks from issue #7');
    expect(rowOf(body, 'BAC-1')).toBe(
      '| **BAC-1** | Task 1 | ⏳ queued | starting | — | — | — | — | — | — |',
    );
    expect(body).toContain('<details><summary>Plan</summary>\n\n### Plan\n\n3 tasks · 1 level\n\n</details>');
  });

  it('while agents work, shows each one’s status, turns, tool calls and time so far', () => {
    const state = stateAfter([
      started(3),
      { type: 'started', task: 'BAC-1', at: T0, branch: 'b', model: 'claude-sonnet-4-5' },
      { type: 'turn', task: 'BAC-1', at: T0 + 1000, turn: 2, stopReason: 'tool_use', text: '' },
      { type: 'tool-call', task: 'BAC-1', at: T0 + 1000, tool: 'read', id: 't1', input: {} },
      { type: 'ended', task: 'BAC-2', at: T0 + 5000, result: ran('BAC-2', 0, 5) },
    ]);

    const body = renderComment(state, { now: T0 + 12_500 });

    expect(body).toContain('### 🏃 parallel-agents: 1/3 running · 1 done · 1 queued');
    expect(rowOf(body, 'BAC-1')).toBe('| **BAC-1** | Task 1 | 🏃 running | — | 12.5 s | 2 | 1 | — | — | — |');
    expect(rowOf(body, 'BAC-2')).toBe(
      '| **BAC-2** | Task 2 | ✅ succeeded | — | 5.0 s | 3 | 4 | $0.03 | 1 (+40 −3) | — |',
    );
    expect(rowOf(body, 'BAC-3')).toContain('⏳ queued');
  });

  it('shows each running agent’s progress bar and what it is doing, and what each queued task waits for', () => {
    const run: RunEvent = {
      ...(started(4, 1) as Extract<RunEvent, { type: 'run-started' }>),
      shape: {
        dependencies: [
          { task: 'BAC-2', dependsOn: 'BAC-1' },
          { task: 'BAC-4', dependsOn: 'BAC-1', stacked: true },
        ],
        criticalPath: ['BAC-1', 'BAC-2'],
      },
    };
    const reported = stateAfter([
      run,
      { type: 'started', task: 'BAC-1', at: T0, branch: 'b', model: 'claude-sonnet-4-5' },
      {
        type: 'progress',
        task: 'BAC-1',
        at: T0 + 1000,
        percent: 80,
        doing: 'Writing the router change',
        reported: true,
      },
    ]);
    const body = renderComment(reported, { now: T0 + 5_000 });
    expect(body).toMatch(/\| Status \| Now \|/);
    expect(rowOf(body, 'BAC-1')).toContain('| 🏃 running | ████████░░ 80% - Writing the router change |');
    expect(rowOf(body, 'BAC-2')).toContain('| ⏳ queued | waits for BAC-1 |');
    expect(rowOf(body, 'BAC-3')).toContain('| ⏳ queued | waits for a free slot |');
    expect(rowOf(body, 'BAC-4')).toContain('| ⏳ queued | waits for BAC-1 (same files) |');

    // Between its reports, its last tool call says what it is doing; how far it is stays what it said.
    const later = stateAfter(
      [
        {
          type: 'progress',
          task: 'BAC-1',
          at: T0 + 2000,
          percent: null,
          doing: 'editing src/router.js',
          reported: false,
        },
      ],
      reported,
    );
    expect(rowOf(renderComment(later), 'BAC-1')).toContain('████████░░ 80% - editing src/router.js');
    const ended = stateAfter([{ type: 'run-ended', at: T0 + 9000 }], later);
    expect(renderComment(ended)).not.toMatch(/\| Now \|/);
  });

  it('shows an agent that never reported by its last tool call alone, and agent text in the line as text', () => {
    const state = stateAfter([
      started(1),
      { type: 'started', task: 'BAC-1', at: T0, branch: 'b', model: 'claude-sonnet-4-5' },
      {
        type: 'progress',
        task: 'BAC-1',
        at: T0,
        percent: null,
        doing: 'running npm test | @octocat <img src=x>',
        reported: false,
      },
    ]);
    const row = rowOf(renderComment(state), 'BAC-1');
    expect(row).toContain('| 🏃 running | running npm test \\| @');
    expect(row).not.toContain('@octocat');
    expect(row).not.toContain('<img');
    expect(row).not.toContain('%');
  });

  it('at the end, shows every row, the timing comparison, PR links and the reports', () => {
    const results = [
      ran('BAC-1', 0, 10, { title: 'Add a changelog' }),
      ran('BAC-2', 0, 20, { status: 'failed', error: 'the tests failed' }),
      ran('BAC-3', 5, 20),
    ];

    const pullRequest: RunEvent = {
      type: 'pull-request',
      task: 'BAC-1',
      at: T0 + 61_000,
      pullRequest: { number: 12, url: 'https://github.com/octo-org/gateway/pull/12' },
      created: true,
    };
    const body = renderComment(stateAfter([pullRequest], finished(results)), {
      runUrl: RUN_URL,
      rerun: { commentOn: 7, issue: 7 },
    });

    expect(body).toMatch(/^### ⚠️ parallel-agents: 2\/3 tasks succeeded · 1 failed\n/);
    expect(body).toContain('cost $0.10');
    // The timing at a glance, every figure behind it folded away.
    expect(body).toContain(
      '⏱️ 20.0 s instead of 45.0 s one after another: 2.25× · $0.10\n\n<details><summary>Timing</summary>\n\n| | | |',
    );
    expect(rowOf(body, 'BAC-1')).toContain('| [#12](https://github.com/octo-org/gateway/pull/12) |');
    expect(rowOf(body, 'BAC-2')).toContain('❌ failed');
    expect(body).toContain('| Sequential | 45.0 s |');
    expect(body).toContain('| Parallel wall | 20.0 s |');
    expect(body).toContain('| **Speedup** | **2.25×** |');
    expect(body).toContain('| Ideal | 20.0 s |');
    expect(body).toContain('| Parallel efficiency | 100 % |');
    expect(body).toContain('<details><summary>Reports</summary>');
    expect(body).toContain('Report of BAC-3.');
    expect(body).toContain('the tests failed');
    expect(body).not.toContain('Shortened');
    // What next comes last, before only the hidden record.
    const next = body.indexOf('### What next');
    expect(next).toBeGreaterThan(body.indexOf('Report of BAC-3.'));
    expect(body.slice(next)).toMatch(
      /^### What next\n\n- \*\*Merge\*\* in this order: 1\. \[#12\]\([^)]+\) BAC-1\n- \*\*BAC-2\*\* ❌ failed: `\/agents run BAC-2`\n\n_Commands go in a new comment on #7\._\n\n<!-- parallel-agents:outcome [^\n]+ -->\n$/,
    );
  });

  it('has no What next while the run goes on, nor when every task succeeded with nothing to merge', () => {
    expect(renderComment(stateAfter([started(2)]))).not.toContain('What next');
    expect(renderComment(finished([ran('BAC-1', 0, 10), ran('BAC-2', 0, 5)]))).not.toContain('What next');
  });

  it('reads a PR link a result carries', () => {
    const result = {
      ...ran('BAC-1', 0, 1),
      pullRequest: { number: 7, url: 'https://github.com/octo-org/gateway/pull/7' },
    };

    expect(rowOf(renderComment(finished([result])), 'BAC-1')).toContain(
      '[#7](https://github.com/octo-org/gateway/pull/7)',
    );
  });

  it('says a cancelled run was cancelled', () => {
    const state = stateAfter([
      started(2),
      { type: 'stopping', at: T0 + 1000, reason: 'cancelled', detail: 'SIGINT' },
      { type: 'ended', task: 'BAC-1', at: T0 + 2000, result: ran('BAC-1', 0, 2, { status: 'cancelled' }) },
      {
        type: 'ended',
        task: 'BAC-2',
        at: T0 + 2000,
        result: notStarted({ id: 'BAC-2', title: 'Task 2' }, 'cancelled', 'the run was cancelled', 'm'),
      },
      { type: 'run-ended', at: T0 + 2000 },
    ]);

    const body = renderComment(state);

    expect(body).toMatch(/^### 🚫 parallel-agents cancelled: 0\/2 tasks succeeded/);
    expect(rowOf(body, 'BAC-2')).toContain('🚫 cancelled');
  });

  it('says a run stopped at the budget', () => {
    const state = stateAfter([
      started(1),
      { type: 'stopping', at: T0, reason: 'budget', detail: '$1' },
      { type: 'ended', task: 'BAC-1', at: T0 + 1000, result: ran('BAC-1', 0, 1, { status: 'budget' }) },
      { type: 'run-ended', at: T0 + 1000 },
    ]);

    expect(renderComment(state)).toMatch(/^### 💰 parallel-agents stopped at the budget \(`max-cost-usd`\)/);
  });

  it('says a run that broke off failed, with the error, and keeps the rows so far', () => {
    const body = renderComment(stateAfter([started(2)]), { failure: 'git worktree add failed: disk full' });

    expect(body).toMatch(/^### ❌ parallel-agents failed\n/);
    expect(body).toContain('```text\ngit worktree add failed: disk full\n```');
    expect(rowOf(body, 'BAC-2')).toContain('⏳ queued');
  });

  it('shows the notes it is given, such as a run without bash', () => {
    const body = renderComment(stateAfter([started(1)]), {
      notes: ['`stranger` wrote the tasks: the agents run without `bash` (`untrusted-text: read-only`)'],
    });

    expect(body).toContain(
      '> `stranger` wrote the tasks: the agents run without `bash` (`untrusted-text: read-only`)',
    );
  });

  it('makes agent text inert: mentions, HTML, and the marker the comment is found by', () => {
    const result = ran('BAC-1', 0, 1, {
      title: '@octo-org/team <img src=x onerror=alert(1)>',
      report: 'Done, @maintainer. <script>alert(1)</script> <!-- parallel-agents -->',
    });

    const body = renderComment(finished([result]));

    expect(body).not.toMatch(/@(octo-org|maintainer)/);
    expect(body).toContain(`@${MENTION_BREAK}maintainer`);
    expect(body).not.toContain('<script');
    expect(body).not.toContain('<img');
    // The one HTML comment is the action's own record of each task's status, with nothing an agent wrote in it.
    expect(body.match(/<!--.*?-->/gs)).toEqual([
      '<!-- parallel-agents:outcome {"BAC-1":{"status":"succeeded","branch":"parallel-agents/bac-1"}} -->',
    ]);
  });

  it('keeps the record of the last run while this one goes on, and ends with this run over it', () => {
    const previousOutcome = { 'BAC-1': { status: 'failed' }, 'BAC-9': { status: 'succeeded' } };
    const running = stateAfter([
      started(2),
      { type: 'ended', task: 'BAC-2', at: T0 + 1000, result: ran('BAC-2', 0, 1, { status: 'timeout' }) },
    ]);
    expect(renderComment(running, { previousOutcome })).toContain(
      '<!-- parallel-agents:outcome {"BAC-1":{"status":"failed"},"BAC-9":{"status":"succeeded"},"BAC-2":{"status":"timeout","branch":"parallel-agents/bac-2"}} -->',
    );
    expect(renderComment(running)).not.toContain('parallel-agents:outcome');
    expect(renderComment(finished([ran('BAC-1', 0, 1)]), { previousOutcome })).toContain(
      '<!-- parallel-agents:outcome {"BAC-1":{"status":"succeeded","branch":"parallel-agents/bac-1"},"BAC-9":{"status":"succeeded"}} -->',
    );
  });

  it('keeps the rows of the tasks this run leaves out, as earlier runs left them, with their pull requests', () => {
    const earlier = [
      {
        id: 'BAC-7',
        title: 'Fix the router',
        status: 'succeeded',
        pullRequest: { number: 100, url: 'https://github.com/o/r/pull/100' },
      },
      { id: 'BAC-8', title: 'Tidy the docs', status: 'failed' },
      // Run again now: its row is this run's.
      { id: 'BAC-1', title: 'Old', status: 'failed' },
    ];
    const body = renderComment(finished([ran('BAC-1', 0, 1)]), { earlier });
    const rows = body.split('\n').filter((l) => /^\| \*\*BAC-/.test(l));
    expect(rows.map((r) => /\*\*(BAC-\d+)\*\*/.exec(r)![1])).toEqual(['BAC-1', 'BAC-7', 'BAC-8']);
    expect(rows[0]).toContain('✅ succeeded');
    expect(rows[1]).toContain('✅ succeeded (earlier run)');
    expect(rows[1]).toContain('[#100](https://github.com/o/r/pull/100)');
    expect(rows[2]).toContain('❌ failed (earlier run)');
  });

  it('keeps 300 tasks under 65,536 characters with every row and a visible note of what was shortened', () => {
    const results = Array.from({ length: 300 }, (_, i) =>
      ran(`BAC-${i + 1}`, i, i + 30, {
        title: `A title long enough to be cut somewhere around here, number ${i + 1} of many`,
        report: `${'The agent explains what it changed and why, at length. '.repeat(40)}`,
        error: i % 10 === 0 ? 'x'.repeat(3000) : undefined,
        status: i % 10 === 0 ? 'failed' : 'succeeded',
      }),
    );

    const body = renderComment(finished(results, 20), { runUrl: RUN_URL });

    expect(body.length).toBeLessThan(COMMENT_MAX_CHARS);
    for (const r of results) expect(rowOf(body, r.id)).not.toBe('');
    expect(body).toContain('| **Speedup** |');
    expect(body).toMatch(
      /_Shortened to fit GitHub's 65,536-character limit \(.*reports? (cut|left out).*\); the \[job summary\]\(https:\/\/github.com\/octo-org\/gateway\/actions\/runs\/42\) has everything._/,
    );
  });

  it('drops table rows only when the rows alone would not fit, and says how many', () => {
    const results = Array.from({ length: 1200 }, (_, i) => ran(`BAC-${i + 1}`, 0, 1));

    const body = renderComment(finished(results));

    expect(body.length).toBeLessThan(COMMENT_MAX_CHARS);
    expect(rowOf(body, 'BAC-1')).not.toBe('');
    expect(rowOf(body, 'BAC-1200')).toBe('');
    expect(body).toMatch(/_Shortened to fit GitHub's 65,536-character limit \([\d,]+ of the table's rows/);
    expect(body).toContain('| **Speedup** |');
  });

  it('leaves a large plan out while running rather than cut it, and says so', () => {
    const body = renderComment(stateAfter([started(300)]), { plan: 'p'.repeat(70_000) });

    expect(body.length).toBeLessThan(COMMENT_MAX_CHARS);
    expect(body).toContain('the plan left out');
    expect(rowOf(body, 'BAC-300')).not.toBe('');
  });
});

describe('renderRefusal and renderInputError', () => {
  it('says in short why a run was refused, and links the run', () => {
    const body = renderRefusal('`reader` has only read permission on this repository.', { runUrl: RUN_URL });

    expect(body).toBe(
      `### 🚫 parallel-agents did not run\n\n\`reader\` has only read permission on this repository.\n\n[Workflow run](${RUN_URL})\n`,
    );
  });

  it('shows an input error as its one line, in a code block that agent or issue text cannot break', () => {
    const body = renderInputError('issue #7: duplicate id BAC-1 ``` @someone');

    expect(body).toBe(
      '### ❌ parallel-agents could not start\n\n````text\nissue #7: duplicate id BAC-1 ``` @someone\n````\n',
    );
  });
});

describe('runUrl', () => {
  it('builds the run’s page from the runner’s variables', () => {
    expect(
      runUrl({
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'octo-org/gateway',
        GITHUB_RUN_ID: '42',
      }),
    ).toBe(RUN_URL);
    expect(runUrl({ GITHUB_REPOSITORY: 'octo-org/gateway' })).toBeUndefined();
  });
});
