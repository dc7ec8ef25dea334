import type { AgentResult } from '../../src/result.js';
import type { RunEvent } from '../../src/events.js';
import { MENTION_BREAK } from '../../src/report/sanitize.js';
import { PRICES } from '../../src/model/pricing.js';
import { SUMMARY_MAX_BYTES, renderSummary } from '../../src/report/summary.js';
import { runReducer, stateOfRecords, type RunState } from '../../src/run-state.js';

const T0 = 1_700_000_000_000;

/** An agent that ran from `from` to `to` seconds after T0. */
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
    filesChanged: ['CHANGELOG.md', 'src/router.ts'],
    insertions: 40,
    deletions: 3,
    ...overrides,
  };
}

/** The ended run of `results`, four agents at once, as the reducer folds it. */
function report(results: AgentResult[]): RunState {
  return stateOfRecords({ results, concurrency: 4, source: 'input `tasks`' }, PRICES);
}

const view = { model: 'claude-sonnet-4-5' };

const three = () => [
  ran('BAC-1', 0, 10, { title: 'Add a changelog' }),
  ran('BAC-2', 1, 11, { title: 'Document the router' }),
  ran('BAC-3', 2, 12, { title: 'Note the licence' }),
];

/** The `<details>` block of one agent. */
function detailsOf(summary: string, id: string): string {
  const start = summary.indexOf(`<details><summary>${id} `);
  expect(start).toBeGreaterThanOrEqual(0);
  return summary.slice(start, summary.indexOf('</details>', start) + '</details>'.length);
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('renderSummary', () => {
  it('puts the outcome and the counts in the header', () => {
    const summary = renderSummary(report(three()), view);
    expect(summary.startsWith('## ✅ parallel-agents: 3/3 tasks succeeded\n')).toBe(true);
    expect(summary).toContain(
      'Model `claude-sonnet-4-5` · up to 4 agents at once · tasks from input `tasks`',
    );
  });

  it('counts a failed agent in the header', () => {
    const results = three();
    results[1] = { ...results[1]!, status: 'failed', error: 'APIError: overloaded' };
    const summary = renderSummary(report(results), view);
    expect(summary.split('\n')[0]).toBe('## ⚠️ parallel-agents: 2/3 tasks succeeded · 1 failed');
  });

  it('never reads ✅ when the branches fail their check together', () => {
    const together = { merged: ['BAC-1', 'BAC-2'], conflicts: [], passed: false };
    const state = runReducer(PRICES)(report(three()), { type: 'together', at: T0, check: together });
    const summary = renderSummary(state, view);
    expect(summary.split('\n')[0]).toBe('## ⚠️ parallel-agents: 3/3 tasks succeeded');
  });

  it('counts an agent that said partial or blocked apart, never as succeeded', () => {
    const said = (outcome: 'done' | 'partial' | 'blocked') => ({
      agentReport: { outcome, summary: '', changes: [], risks: [], followUps: [] },
    });
    const results = [
      ran('BAC-1', 0, 10, said('done')),
      ran('BAC-2', 0, 10, said('partial')),
      ran('BAC-3', 0, 10, said('blocked')),
    ];
    const summary = renderSummary(report(results), view);
    expect(summary.split('\n')[0]).toBe('## ⚠️ parallel-agents: 1/3 tasks succeeded · 1 partial · 1 blocked');
    const status = (id: string) =>
      summary
        .split('\n')
        .find((l) => l.startsWith(`| **${id}** |`))!
        .split(' | ')[2];
    expect([status('BAC-1'), status('BAC-2'), status('BAC-3')]).toEqual([
      '✅ succeeded',
      '🟡 partial',
      '🚧 blocked',
    ]);
    expect(detailsOf(summary, 'BAC-2')).toContain('(🟡 partial)');
  });

  it('turns the header to a warning and links the page that opens a pull request GitHub refused', () => {
    const compareUrl = 'https://github.com/octo-org/gateway/compare/main...parallel-agents/bac-2?expand=1';
    const state = runReducer(PRICES)(report(three()), {
      type: 'pull-request-not-opened',
      task: 'BAC-2',
      at: T0,
      notOpened: { reason: 'Pull requests in octo-org/gateway: GitHub Actions is not permitted', compareUrl },
    });
    const summary = renderSummary(state, view);
    expect(summary.split('\n')[0]).toBe(
      '## ⚠️ parallel-agents: 3/3 tasks succeeded · 1 pull request not opened',
    );
    const row = summary.split('\n').find((l) => l.startsWith('| **BAC-2** |'))!;
    expect(row).toContain(`⚠️ [open it by hand](${compareUrl})`);
  });

  it('heads the timing with one line, folds its table, and ends with what to do next', () => {
    const results = three();
    results[2] = { ...results[2]!, status: 'failed', error: 'boom' };
    const summary = renderSummary(report(results), { ...view, rerun: { issue: 7 } });
    expect(summary).toContain(
      '⏱️ 12.0 s instead of 30.0 s one after another: 2.50× · $0.10\n\n<details><summary>Timing</summary>\n\n| | | |',
    );
    expect(summary).toContain('| **Speedup** | **2.50×** | sequential ÷ wall |\n');
    expect(summary).not.toContain('### Timing');
    expect(summary.trimEnd().split('\n').slice(-3)).toEqual([
      '### What next',
      '',
      '- **BAC-3** ❌ failed: run the workflow again with `only: failed` and `issue-number: 7`',
    ]);
    expect(renderSummary(report(three()), view)).not.toContain('What next');
  });

  it('shows a row per agent with its time, turns, tool calls, tokens, files and branch', () => {
    const summary = renderSummary(report(three()), view);
    expect(summary).toContain(
      '| Task | Title | Status | Time | Turns | Tool calls | Tokens in / out / cached | Cost | Files changed | Branch |',
    );
    expect(summary).toContain(
      '| **BAC-1** | Add a changelog | ✅ succeeded | 10.0 s | 3 | 4 | 13,500 / 1,200 / 10,000 | $0.03 | 2 (+40 −3) | `parallel-agents/bac-1` |',
    );
  });

  it('shows an agent that changed nothing without a branch', () => {
    const results = [
      ran('BAC-1', 0, 185, { commit: undefined, filesChanged: [], insertions: 0, deletions: 0 }),
    ];
    expect(renderSummary(report(results), view)).toContain(
      '| 3 m 05 s | 3 | 4 | 13,500 / 1,200 / 10,000 | $0.03 | 0 | — |',
    );
  });

  it('compares the parallel run with a sequential one for known times', () => {
    const summary = renderSummary(report(three()), view);
    expect(summary).toContain('| Sequential | 30.0 s |');
    expect(summary).toContain('| Parallel wall | 12.0 s |');
    expect(summary).toContain('| **Speedup** | **2.50×** |');
    expect(summary).toContain('| Ideal | 10.0 s | lower bound: the longest agent');
    expect(summary).toContain('| Parallel efficiency | 83 % |');
  });

  it('shows the bound from the model alone and the overhead above it, overall and per agent', () => {
    const results = [
      ran('BAC-1', 0, 10, { modelSeconds: 9.6 }),
      ran('BAC-2', 1, 11, { modelSeconds: 9 }),
      ran('BAC-3', 2, 12, { modelSeconds: 6 }),
    ];
    const summary = renderSummary(report(results), view);
    expect(summary).toContain('| Ideal, model only | 9.6 s | lower bound: the longest agent');
    expect(summary).toContain('| Overhead | 2.4 s (20 % of wall) | wall − model-only ideal');
    expect(summary).toContain('| Overhead per agent | median 1.0 s · max 4.0 s (BAC-3) |');
    expect(renderSummary(report(three()), view)).not.toContain('model only');
  });

  it('draws a gantt bar per agent and marks the failed one as critical', () => {
    const results = three();
    results[1] = { ...results[1]!, status: 'failed', error: 'boom' };
    const summary = renderSummary(report(results), view);
    expect(summary).toContain(
      [
        '```mermaid',
        'gantt',
        '    dateFormat x',
        '    axisFormat %H:%M:%S',
        '    todayMarker off',
        `    BAC-1 : ${T0}, ${T0 + 10_000}`,
        `    BAC-2 : crit, ${T0 + 1000}, ${T0 + 11_000}`,
        `    BAC-3 : ${T0 + 2000}, ${T0 + 12_000}`,
        '```',
      ].join('\n'),
    );
  });

  it('leaves an agent that never started out of the timeline', () => {
    const results = [...three(), ran('BAC-4', 0, 0, { startedAt: 0, endedAt: 0, status: 'cancelled' })];
    const summary = renderSummary(report(results), view);
    expect(summary).not.toMatch(/^ {4}BAC-4 :/m);
    expect(summary).toContain('| **BAC-4** | Task BAC-4 | 🚫 cancelled | — |');
  });

  it("folds each agent's report and shows a failed agent's error inside its details", () => {
    const results = three();
    results[2] = { ...results[2]!, status: 'timeout', error: 'Timed out after 20 minutes\nat turn 12' };
    const summary = renderSummary(report(results), view);
    expect(detailsOf(summary, 'BAC-1')).toBe(
      '<details><summary>BAC-1 — Add a changelog (✅ succeeded)</summary>\n\nReport of BAC-1.\n\n</details>',
    );
    const failed = detailsOf(summary, 'BAC-3');
    expect(failed).toContain('(⏱️ timed out)</summary>');
    expect(failed).toContain('**Error:**\n\n```text\nTimed out after 20 minutes\nat turn 12\n```');
    expect(failed).toContain('Report of BAC-3.');
  });

  it('sanitizes untrusted titles, reports and errors', () => {
    const results = [
      ran('BAC-1', 0, 10, {
        title: '<img src=x onerror=alert(1)> for @octocat',
        report: 'Done, @octocat.\n<script>alert(1)</script>\n<!-- parallel-agents -->\n</details>',
        status: 'failed',
        error: 'ping @hubot </details>',
      }),
    ];
    const summary = renderSummary(report(results), view);
    expect(summary).not.toContain('<img');
    expect(summary).not.toContain('<script');
    expect(summary).not.toContain('<!--');
    expect(summary).not.toContain('@octocat');
    expect(summary).toContain(`@${MENTION_BREAK}octocat`);
    // The error is shown verbatim in a code block, where GitHub neither notifies nor reads HTML.
    expect(summary).toContain('```text\nping @hubot </details>\n```');
    // Our own folds (the timing's and the report's) are the only ones that close.
    expect(summary.match(/^<\/details>/gm)).toHaveLength(2);
  });

  it('stays within 1 MiB with 300 agents each reporting 100 KB', () => {
    const paragraph = 'The router now sends every request to the model it names, with tests for each path. ';
    const results = Array.from({ length: 300 }, (_, i) =>
      ran(`BAC-${i + 1}`, i, i + 60, { report: paragraph.repeat(Math.ceil(100_000 / paragraph.length)) }),
    );
    const summary = renderSummary(report(results), view);
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(utf8Bytes(summary)).toBeGreaterThan(SUMMARY_MAX_BYTES * 0.9);
    expect(summary.match(/^\| \*\*BAC-\d+\*\* \|/gm)).toHaveLength(300);
    expect(summary.match(/<details><summary>BAC-/g)).toHaveLength(300);
    expect(summary.match(/… \(truncated, [\d,]+ characters omitted\)/g)).toHaveLength(300);
  });

  it('counts bytes, not characters, against the limit', () => {
    const wide = '漢字と絵文字😀 '.repeat(20_000);
    const results = Array.from({ length: 20 }, (_, i) => ran(`BAC-${i + 1}`, 0, 10, { report: wide }));
    const summary = renderSummary(report(results), view);
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(summary).toContain('characters omitted)');
  });

  it('shows a short report whole beside long ones', () => {
    const long = 'x'.repeat(200_000);
    const results = [
      ...Array.from({ length: 10 }, (_, i) => ran(`BAC-${i + 1}`, 0, 10, { report: long })),
      ran('BAC-99', 0, 10, { report: 'Short and complete.' }),
    ];
    const summary = renderSummary(report(results), view);
    expect(detailsOf(summary, 'BAC-99')).toContain('\n\nShort and complete.\n\n</details>');
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
  });

  it('shows what the agents told each other, in the order posted, sanitized', () => {
    const state = [
      {
        type: 'note',
        task: 'BAC-1',
        at: T0 + 2_000,
        topic: 'router',
        text: 'Routes live in\nconfig/routes.json.',
      },
      { type: 'note', task: 'BAC-2', at: T0 + 5_000, topic: 'tests <b>', text: 'ask @octocat' },
    ]
      .map((e) => e as RunEvent)
      .reduce(runReducer(PRICES), stateOfRecords({ results: three(), concurrency: 4, source: 's' }, PRICES));
    const summary = renderSummary({ ...state, startedAt: T0 }, view);

    const section = summary.slice(summary.indexOf('### What the agents told each other'));
    expect(section).toMatch(
      /^### What the agents told each other\n\n- \*\*BAC-1\*\* · \+2\.0 s · _router_: Routes live in config\/routes\.json\.\n- \*\*BAC-2\*\*/,
    );
    expect(section).not.toContain('<b>');
    expect(section).not.toContain('@octocat');
    expect(summary.indexOf('What the agents told each other')).toBeLessThan(summary.indexOf('### Reports'));
    expect(renderSummary(report(three()), view)).not.toContain('What the agents told each other');
  });

  it('says so when an agent left no report', () => {
    const summary = renderSummary(report([ran('BAC-1', 0, 10, { report: '' })]), view);
    expect(detailsOf(summary, 'BAC-1')).toContain('_No report._');
  });

  it('says which files the commit left out and that a branch was not pushed, with paths as code', () => {
    const results = three();
    results[0] = {
      ...results[0]!,
      commit: 'abc123',
      branch: 'parallel-agents/bac-1',
      notPushed: 'not pushed: the repository has no remote named origin',
      skipped: [
        { path: 'vendor/lib', reason: 'a git repository of its own' },
        ...Array.from({ length: 11 }, (_, i) => ({
          path: `[x](https://e.example/${i})`,
          reason: 'refused by git add',
        })),
      ],
    };
    const summary = renderSummary(report(results), view);
    expect(summary).toContain('`parallel-agents/bac-1` (not pushed)');
    const details = detailsOf(summary, 'BAC-1');
    expect(details).toContain('**Branch:** not pushed: the repository has no remote named origin');
    expect(details).toContain('- `vendor/lib`: a git repository of its own');
    expect(details).toContain('- `[x](https://e.example/0)`: refused by git add');
    expect(details).toContain('- and 2 more');
    expect(details).not.toMatch(/^- \[x\]/m);
  });
});

describe('cost', () => {
  it('adds up the agents and says so when a price is unknown, never showing $0', () => {
    const known = renderSummary(report([ran('BAC-1', 0, 10), ran('BAC-2', 0, 10, { costUsd: 1.2 })]), view);
    expect(known).toContain('cost $1.23');
    const unknown = renderSummary(
      report([ran('BAC-1', 0, 10), ran('BAC-2', 0, 10, { costUsd: null })]),
      view,
    );
    expect(unknown).toContain('cost unknown (no price for a model; see `pricing`)');
    expect(unknown).toMatch(/\| unknown \| 2 \(\+40 −3\) \|/);
  });
});
