import type { RunEvent, RunShape } from '../../src/events.js';
import { PRICES } from '../../src/model/pricing.js';
import { renderRunPage } from '../../src/report/page.js';
import { renderSummary } from '../../src/report/summary.js';
import type { AgentResult } from '../../src/result.js';
import { initialRunState, runReducer, stateOfRecords, waitSegments } from '../../src/run-state.js';

const T0 = 1_700_000_000_000;
const at = (s: number) => T0 + s * 1000;

function result(id: string, from: number, to: number): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-5',
    startedAt: at(from),
    endedAt: at(to),
    seconds: to - from,
    turns: 1,
    toolCalls: 0,
    usage: { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 },
    costUsd: 0.01,
    report: '',
    branch: `parallel-agents/${id.toLowerCase()}`,
    pushed: false,
    filesChanged: [],
    insertions: 0,
    deletions: 0,
  };
}

/**
 * Two slots. BAC-1 and BAC-3 start at once; BAC-2 depends on BAC-1 (or stacks on it, with `stacked`), BAC-4 waits
 * for a slot. BAC-1 ends at 10 s and BAC-4 takes its slot; BAC-3 ends at 20 s and BAC-2 takes that one.
 */
function run(stacked = false): { events: RunEvent[]; results: AgentResult[]; shape: RunShape } {
  const results = [
    result('BAC-1', 0, 10),
    result('BAC-2', 20, 30),
    result('BAC-3', 0, 20),
    result('BAC-4', 10, 25),
  ];
  const shape: RunShape = {
    dependencies: [{ task: 'BAC-2', dependsOn: 'BAC-1', ...(stacked ? { stacked } : {}) }],
    criticalPath: ['BAC-1', 'BAC-2'],
  };
  const [a, b, c, d] = results as [AgentResult, AgentResult, AgentResult, AgentResult];
  const start = (r: AgentResult): RunEvent => ({
    type: 'started',
    task: r.id,
    at: r.startedAt,
    branch: r.branch,
    model: r.model,
  });
  const end = (r: AgentResult): RunEvent => ({ type: 'ended', task: r.id, at: r.endedAt, result: r });
  const events: RunEvent[] = [
    {
      type: 'run-started',
      at: T0,
      tasks: results.map(({ id, title, model }) => ({ id, title, model })),
      concurrency: 2,
      source: 'input `tasks`',
      shape,
    },
    start(a),
    start(c),
    end(a),
    start(d),
    end(c),
    start(b),
    end(d),
    end(b),
    { type: 'run-ended', at: at(30) },
  ];
  return { events, results, shape };
}

const fold = (events: RunEvent[]) => events.reduce(runReducer(PRICES), initialRunState());

describe('why a task waited', () => {
  it('keeps when each task became ready, and splits its wait into its dependency and a free slot', () => {
    const state = fold(run().events);
    expect(state.readyAt).toEqual([{ task: 'BAC-2', at: at(10) }]);
    expect(waitSegments(state, 'BAC-2')).toEqual([
      { why: 'dependency', from: at(0), to: at(10), on: ['BAC-1'] },
      { why: 'slot', from: at(10), to: at(20), on: [] },
    ]);
    expect(waitSegments(state, 'BAC-4')).toEqual([{ why: 'slot', from: at(0), to: at(10), on: [] }]);
    // Started at once with a slot free: no wait at all.
    expect(waitSegments(state, 'BAC-1')).toEqual([]);
  });

  it('says a stacked task waited for the overlap, not a dependency', () => {
    const state = fold(run(true).events);
    expect(waitSegments(state, 'BAC-2')[0]).toEqual({
      why: 'overlap',
      from: at(0),
      to: at(10),
      on: ['BAC-1'],
    });
  });

  it('counts a slot taken while the runner’s load holds the limit lower', () => {
    const events: RunEvent[] = [
      {
        type: 'run-started',
        at: T0,
        tasks: [
          { id: 'BAC-1', title: '', model: 'm' },
          { id: 'BAC-2', title: '', model: 'm' },
        ],
        concurrency: 4,
        source: 's',
      },
      { type: 'concurrency', at: T0, limit: 1, reason: 'load' },
      { type: 'started', task: 'BAC-1', at: at(0), branch: 'b1', model: 'm' },
      { type: 'ended', task: 'BAC-1', at: at(5), result: result('BAC-1', 0, 5) },
      { type: 'started', task: 'BAC-2', at: at(5), branch: 'b2', model: 'm' },
    ];
    expect(waitSegments(fold(events), 'BAC-2')).toEqual([{ why: 'slot', from: at(0), to: at(5), on: [] }]);
  });

  it('draws each wait as a grey bar of its own before the task’s bar in the summary’s timeline, for a fan-out too', () => {
    const { events, results, shape } = run();
    const rows = (summary: string) =>
      summary.split('\n').filter((line) => / : /.test(line) && line.startsWith('    BAC'));
    const expected = [
      `    BAC-1 : ${at(0)}, ${at(10)}`,
      `    BAC-2 waits for BAC-1 : done, ${at(0)}, ${at(10)}`,
      `    BAC-2 waits for a free slot : done, ${at(10)}, ${at(20)}`,
      `    BAC-2 : ${at(20)}, ${at(30)}`,
      `    BAC-3 : ${at(0)}, ${at(20)}`,
      `    BAC-4 waits for a free slot : done, ${at(0)}, ${at(10)}`,
      `    BAC-4 : ${at(10)}, ${at(25)}`,
    ];
    expect(rows(renderSummary(fold(events), { model: 'm' }))).toEqual(expected);
    // A fan-out's summary is folded from its shards' results alone: the same waits.
    const recorded = stateOfRecords({ results, concurrency: 2, source: 's', shape }, PRICES);
    expect(rows(renderSummary(recorded, { model: 'm' }))).toEqual(expected);
    const stacked = renderSummary(fold(run(true).events), { model: 'm' });
    expect(stacked).toContain(`    BAC-2 waits for BAC-1 same files : done, ${at(0)}, ${at(10)}`);
  });

  it('draws each wait as a segment that says why on the run page', () => {
    const page = renderRunPage({ events: run(true).events });
    expect(page).toMatch(
      /<rect class="wait overlap"[^>]*><title>BAC-2 waited 10\.0 s for BAC-1, which changes the same files: it starts from that work<\/title>/,
    );
    expect(page).toMatch(/<rect class="wait slot"[^>]*><title>BAC-2 waited 10\.0 s for a free slot<\/title>/);
    expect(page).toMatch(/<rect class="wait slot"[^>]*><title>BAC-4 waited 10\.0 s for a free slot<\/title>/);
    expect(page).toContain('<span class="swatch overlap"></span>waiting for a task on the same files');
    expect(renderRunPage({ events: run().events })).toMatch(
      /<rect class="wait dep"[^>]*><title>BAC-2 waited 10\.0 s for BAC-1, which it depends on<\/title>/,
    );
  });
});
