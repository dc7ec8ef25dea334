import { mermaidText, renderPlan } from '../../src/report/plan.js';
import { planTasks } from '../../src/tasks/plan.js';
import { shardPlan } from '../../src/tasks/shards.js';
import type { Task } from '../../src/tasks/task.js';

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, prompt: '', dependsOn: [], paths: [], ...fields };
}

const tasks = () => [
  task('BAC-1', { title: 'Add a router', estimate: 2, paths: ['src/gateway/*.ts'] }),
  task('BAC-2', { title: 'Write the docs', estimate: 1, paths: ['docs/**'] }),
  task('BAC-3', { title: 'Route by model', estimate: 4, dependsOn: ['BAC-1'] }),
  task('BAC-4', { title: 'Fix the README', paths: ['**/*.md'] }),
  task('BAC-5', { title: 'Ship it', estimate: 1, dependsOn: ['BAC-3', 'BAC-2'] }),
];

/** The Mermaid block of a rendered plan. */
function mermaidOf(markdown: string): string {
  const start = markdown.indexOf('```mermaid\n');
  expect(start).toBeGreaterThanOrEqual(0);
  return markdown.slice(start, markdown.indexOf('\n```', start + 3) + 4);
}

describe('renderPlan', () => {
  it('has a row per task with its dependencies, paths, estimate and level, critical ones marked', () => {
    const markdown = renderPlan(planTasks(tasks()));
    expect(markdown).toContain('| Task | Title | Depends on | Paths | Estimate | Level |');
    expect(markdown).toContain('| **BAC-1** ★ | Add a router | — | `src/gateway/*.ts` | 2 h | 0 |');
    expect(markdown).toContain('| **BAC-2** | Write the docs | — | `docs/**` | 1 h | 0 |');
    // BAC-4's paths overlap BAC-2's, so it stacks on it, a level below.
    expect(markdown).toContain('| **BAC-4** | Fix the README | — | `**/*.md` | — | 1 |');
    expect(markdown).toContain('| **BAC-5** ★ | Ship it | BAC-3, BAC-2 | — | 1 h | 2 |');
    expect(markdown).toContain('★ on the critical path');
  });

  it('says the critical path and its hours', () => {
    const markdown = renderPlan(planTasks(tasks()));
    expect(markdown).toContain(
      '**Critical path:** BAC-1 → BAC-3 → BAC-5, 7 h (a task without an estimate counts as 1.5 h, the median of the others)',
    );
  });

  it('says each task counts as an hour when none has an estimate', () => {
    const markdown = renderPlan(planTasks([task('BAC-1'), task('BAC-2', { dependsOn: ['BAC-1'] })]));
    expect(markdown).toContain(
      '**Critical path:** BAC-1 → BAC-2, 2 h (no task has an estimate: each counts as 1 h)',
    );
  });

  it('counts tasks, levels, dependencies and stacks in one line, or overlaps under overlap: parallel', () => {
    expect(renderPlan(planTasks(tasks()))).toContain('5 tasks · 3 levels · 3 dependencies · 1 stack');
    expect(renderPlan(planTasks(tasks(), { overlap: 'parallel' }))).toContain(
      '5 tasks · 3 levels · 3 dependencies · 1 overlap',
    );
  });

  it('names each stack, or each overlap under overlap: parallel, and the globs behind it', () => {
    expect(renderPlan(planTasks(tasks()))).toContain(
      '**Stacked** (their paths overlap, so each starts from the work of the one it is on): BAC-4 on BAC-2 (`**/*.md` · `docs/**`)',
    );
    expect(renderPlan(planTasks(tasks(), { overlap: 'parallel' }))).toContain(
      '**Overlaps** (their paths overlap; they run at once and the merge check judges them): BAC-2 ↔ BAC-4 (`docs/**` · `**/*.md`)',
    );
  });

  it('adds a shard column when given shards', () => {
    const plan = planTasks(tasks());
    const shards = shardPlan(plan, 4);
    const markdown = renderPlan(plan, shards);
    expect(markdown).toContain('| Task | Title | Depends on | Paths | Estimate | Level | Shard |');
    expect(markdown).toContain('| **BAC-1** ★ | Add a router | — | `src/gateway/*.ts` | 2 h | 0 | 1 |');
    expect(markdown).toMatch(/5 tasks · .* · 1 shard\n/);
  });

  it('draws a flowchart with a node per task, arrows for dependencies and dotted arrows for stacks', () => {
    const graph = mermaidOf(renderPlan(planTasks(tasks())));
    expect(graph.split('\n').slice(0, 2)).toEqual(['```mermaid', 'flowchart LR']);
    expect(graph).toContain('    t0["BAC-1: Add a router"]');
    expect(graph).toContain('    t4["BAC-5: Ship it"]');
    expect(graph).toContain('    t0 --> t2');
    expect(graph).toContain('    t2 --> t4');
    expect(graph).toContain('    t1 --> t4');
    expect(graph).toContain('    t1 -. stacks .-> t3');
    expect(mermaidOf(renderPlan(planTasks(tasks(), { overlap: 'parallel' })))).toContain(
      '    t1 -. overlap .- t3',
    );
  });

  it('highlights the critical path in the flowchart, nodes and links', () => {
    const graph = mermaidOf(renderPlan(planTasks(tasks())));
    expect(graph).toContain('    class t0,t2,t4 critical');
    expect(graph).toMatch(/classDef critical stroke:#d73a49/);
    // Links are numbered in the order written: t0 --> t2 is 0, t2 --> t4 is 1, t1 --> t4 is 2.
    expect(graph).toContain('    linkStyle 0,1 stroke:#d73a49,stroke-width:3px');
  });

  it('shortens long titles in the flowchart', () => {
    const graph = mermaidOf(renderPlan(planTasks([task('BAC-1', { title: 'x'.repeat(100) })])));
    expect(graph).toContain(`t0["BAC-1: ${'x'.repeat(39)}…"]`);
  });

  it('escapes a hostile title in the table and in the flowchart', () => {
    const hostile = '"]); click X call alert(1) %% <script>alert(2)</script> @octocat | `x';
    const markdown = renderPlan(planTasks([task('BAC-1', { title: hostile }), task('BAC-2')]));
    const graph = mermaidOf(markdown);
    const node = graph.split('\n').find((line) => line.startsWith('    t0['));
    expect(node).toBe(
      '    t0["BAC-1: #quot;#93;#41;#59; click X call alert#40;1#41; #37;#37; #lt;script#gt;a…"]',
    );
    // Nothing in the graph starts a statement of its own or ends the label early.
    expect(graph.split('\n').filter((line) => /^\s*click\b/.test(line))).toEqual([]);
    expect(graph).not.toContain('%%');
    expect(markdown).not.toContain('<script>');
    const row = markdown.split('\n').find((line) => line.startsWith('| **BAC-1**'));
    expect(row).toContain('&lt;script>');
    expect(row).toContain('\\|');
    expect(row).not.toContain('@octocat');
  });

  it('shows a hostile path as code, its pipe escaped so the row keeps its cells', () => {
    const markdown = renderPlan(planTasks([task('BAC-1', { paths: ['src/<img src=x>|`**'] })]));
    const row = markdown.split('\n').find((line) => line.startsWith('| **BAC-1**')) ?? '';
    expect(row).toBe('| **BAC-1** ★ | Task BAC-1 | — | ``src/<img src=x>\\|`**`` | — | 0 |');
  });

  it('says so when there are no tasks', () => {
    expect(renderPlan(planTasks([]))).toBe('### Plan\n\n_No tasks to plan._\n');
  });

  it('leaves the overlaps out of a graph that would have more links than Mermaid draws', () => {
    const many = Array.from({ length: 40 }, (_, i) => task(`BAC-${i + 1}`, { paths: ['CHANGELOG.md'] }));
    const markdown = renderPlan(planTasks(many, { overlap: 'parallel' }));
    expect(markdown).toContain('780 overlaps');
    expect(markdown).toContain('_Overlaps are left out of the graph');
    expect(mermaidOf(markdown)).not.toContain('overlap .-');
    expect(markdown).toContain(', and 730 more');
    // Stacked, the same tasks form one chain of 39 links, all drawn.
    const stacked = renderPlan(planTasks(many));
    expect(stacked).toContain('39 stacks');
    expect(mermaidOf(stacked).match(/-\. stacks \.->/g)).toHaveLength(39);
  });

  it('stays within its byte limit, counting the rows left out', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      task(`BAC-${i + 1}`, { title: 'A title '.repeat(12) }),
    );
    const markdown = renderPlan(planTasks(many));
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(256 * 1024);
    expect(markdown).toMatch(/_[\d,]+ more tasks not shown: the summary has no room for them._/);
    expect(markdown).toContain('_The graph is left out: it is larger than Mermaid draws._');
  });
});

describe('mermaidText', () => {
  it('writes every character Mermaid reads as syntax as an entity code', () => {
    expect(mermaidText('a "b" #1 [c] (d) {e} <f> g|h; 50% `i` \\ &')).toBe(
      'a #quot;b#quot; #35;1 #91;c#93; #40;d#41; #123;e#125; #lt;f#gt; g#124;h#59; 50#37; #96;i#96; #92; #amp;',
    );
  });

  it('turns line breaks and control characters into spaces', () => {
    expect(mermaidText('a\nb\r\nc\u0007d')).toBe('a b c d');
    expect(mermaidText('fix \u202egnp.exe\u202c and\u200b \u2066this\u2069\u0085')).toBe(
      'fix gnp.exe and this ',
    );
  });
});
