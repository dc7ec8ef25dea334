import { InputError } from '../../src/errors.js';
import { parseEstimate } from '../../src/tasks/fields.js';
import { parseMarkdownTasks } from '../../src/tasks/markdown.js';
import { findRefs } from '../../src/tasks/refs.js';

const parse = (md: string) => parseMarkdownTasks(md, 'input `tasks`').set;

describe('references', () => {
  it('matches whole, upper-case ids without leading zeros', () => {
    expect(findRefs('BAC-12 and A1-2, not xBAC-12, BAC-12x, bac-12, BAC-012 or BAC-0; (ENG-7).')).toEqual([
      'BAC-12',
      'A1-2',
      'ENG-7',
    ]);
  });
});

describe('parseMarkdownTasks', () => {
  it('reads ids, titles, prompts and shared context', () => {
    const set = parse(
      [
        '# Sprint 12',
        'All code is TypeScript.',
        '',
        '- BAC-117: Design CI/CD enforcement',
        '  Add a workflow that runs the tests.',
        '',
        '  Keep it under 50 lines.',
        '* BAC-124 — Fix model routing',
        '1. [ ] ENG-7',
        '- [x] BAC-99: Already done',
        '  ignored prompt',
        '',
        'Thanks!',
      ].join('\n'),
    );
    expect(set.tasks).toEqual([
      {
        id: 'BAC-117',
        title: 'Design CI/CD enforcement',
        prompt: 'Add a workflow that runs the tests.\n\nKeep it under 50 lines.',
        dependsOn: [],
        paths: [],
        where: 'input `tasks` line 4',
      },
      {
        id: 'BAC-124',
        title: 'Fix model routing',
        prompt: '',
        dependsOn: [],
        paths: [],
        where: 'input `tasks` line 8',
      },
      { id: 'ENG-7', title: '', prompt: '', dependsOn: [], paths: [], where: 'input `tasks` line 9' },
    ]);
    expect(set.context).toBe('# Sprint 12\nAll code is TypeScript.\n\nThanks!');
  });

  it('keeps list items that do not start with an id as context', () => {
    const set = parse('- see BAC-1 for details\n- BAC-2: real task\n- BAC-3x: not an id');
    expect(set.tasks.map((t) => t.id)).toEqual(['BAC-2']);
    expect(set.context).toBe('- see BAC-1 for details\n- BAC-3x: not an id');
  });

  it('names both lines of a duplicate id', () => {
    expect(() => parse('- BAC-1: a\n- BAC-2: b\n- BAC-1: c')).toThrow(
      new InputError(
        'BAC-1 is listed twice (lines 1 and 3)',
        'input `tasks`',
        'Keep one item per id, or give the second task its own id',
      ),
    );
  });

  it('rejects prose with no ids', () => {
    expect(() => parse('Please fix the routing and add CI.')).toThrow(
      'input `tasks`: no task found. List each task as a Markdown item that starts with its id, e.g. `- BAC-124: Fix model routing`',
    );
  });

  it('rejects a list whose every task is done', () => {
    expect(() => parse('- [x] BAC-1: done\n- [X] BAC-2: done too')).toThrow(
      'input `tasks`: every task is checked as done. Uncheck (`- [ ]`) the tasks to run',
    );
  });
});

describe('lines that name an id but are not tasks', () => {
  const warningsOf = (md: string) => parseMarkdownTasks(md, 'input `tasks`').warnings;

  it('warns about an item that names an id after other words, saying to start with the id', () => {
    expect(warningsOf('- BAC-1: Real\n- Fix BAC-11 please')).toEqual([
      'input `tasks` line 2: "Fix BAC-11 please" names BAC-11 but is not a task: start the item with the id (`- BAC-11: title`) to make it one',
    ]);
  });

  it('warns about a bullet GitHub does not read as a list, and a marker with no space after it', () => {
    const md = ['- BAC-1: Real', '', '• BAC-17: A bullet', '', '-BAC-4: No space', '', '1.BAC-5: Numbered'];
    expect(warningsOf(md.join('\n'))).toEqual([
      'input `tasks` line 3: "• BAC-17: A bullet" looks like a task but is not one: write `- BAC-17: title` (a `-` list marker) to make it a task',
      'input `tasks` line 5: "-BAC-4: No space" looks like a task but is not one: write `- BAC-4: title` (a space after the marker) to make it a task',
      'input `tasks` line 7: "1.BAC-5: Numbered" looks like a task but is not one: write `- BAC-5: title` (a space after the marker) to make it a task',
    ]);
    expect(parse(md.join('\n')).tasks.map((t) => t.id)).toEqual(['BAC-1']);
  });

  it('finds them on any line of a paragraph, and in the error when there is no task', () => {
    expect(warningsOf('- BAC-1: Real\n\nSome context\n-BAC-4: swallowed')).toHaveLength(1);
    expect(() => parse('• BAC-17: A bullet')).toThrow(
      'input `tasks`: no task found; line 1 has "• BAC-17: A bullet", which looks like one. Write `- BAC-17: title` (a `-` list marker)',
    );
  });

  it("says nothing of ids that are tasks, of prose, code, quotes or a task's own prompt", () => {
    const md = [
      'Context about BAC-9 and - BAC-9 in a line.',
      '- BAC-1: Real',
      '  -BAC-8: part of the prompt',
      '- See BAC-1 first',
      '```',
      '-BAC-6: code',
      '```',
      '> -BAC-7: quoted',
    ];
    expect(warningsOf(md.join('\n'))).toEqual([]);
  });
});

describe('task fields in Markdown', () => {
  it('reads depends on, paths, model and estimate lines out of the prompt', () => {
    const set = parse(
      [
        '- BAC-117: Design CI/CD enforcement',
        '  Add a workflow that runs the tests.',
        '  paths: .github/workflows/**, docs/ci.md',
        '  estimate: 2h',
        '- BAC-124: Fix model routing',
        '  Return a 400 for unknown models.',
        '',
        '  depends on: BAC-117',
        '  model: claude-opus-4-6',
        '  estimate: 45m',
        '  Add a test.',
      ].join('\n'),
    );
    expect(set.tasks).toEqual([
      {
        id: 'BAC-117',
        title: 'Design CI/CD enforcement',
        prompt: 'Add a workflow that runs the tests.',
        dependsOn: [],
        paths: ['.github/workflows/**', 'docs/ci.md'],
        estimate: 2,
        where: 'input `tasks` line 1',
      },
      {
        id: 'BAC-124',
        title: 'Fix model routing',
        prompt: 'Return a 400 for unknown models.\n\nAdd a test.',
        dependsOn: ['BAC-117'],
        paths: [],
        model: 'claude-opus-4-6',
        estimate: 0.75,
        where: 'input `tasks` line 5',
      },
    ]);
  });

  it('reads fields written as nested list items', () => {
    const [task] = parse(
      [
        '1. BAC-131 — Architecture note',
        '   Write a one-page note on the gateway.',
        '   - depends on: BAC-117, BAC-124',
        '   * paths: docs/architecture/gateway.md',
        '   + estimate: 1',
        '   - Link it from the README.',
      ].join('\n'),
    ).tasks;
    expect(task).toMatchObject({
      prompt: 'Write a one-page note on the gateway.\n- Link it from the README.',
      dependsOn: ['BAC-117', 'BAC-124'],
      paths: ['docs/architecture/gateway.md'],
      estimate: 1,
    });
  });

  it('takes keys in any case, depends_on as a spelling, ids split by spaces, and quoted values', () => {
    const [task] = parse(
      [
        '- BAC-2: x',
        '  Depends On: BAC-1 ENG-7,BAC-1',
        '  PATHS: `src/{gateway,router}/**`, "docs/a b.md"',
        '  Model: `claude-sonnet-4-6`',
        '  ESTIMATE: 1.5 hours',
        '- BAC-3: y',
        '  depends_on: BAC-2',
      ].join('\n'),
    ).tasks;
    expect(task).toMatchObject({
      prompt: '',
      dependsOn: ['BAC-1', 'ENG-7'],
      paths: ['src/{gateway,router}/**', 'docs/a b.md'],
      model: 'claude-sonnet-4-6',
      estimate: 1.5,
    });
    expect(parse('- BAC-2: x\n  depends_on: BAC-1').tasks[0]!.dependsOn).toEqual(['BAC-1']);
  });

  it('leaves other `Key: value` lines, and fields without their colon, in the prompt', () => {
    const [task] = parse(
      [
        '- BAC-2: x',
        '  Note: the router is hot code.',
        '  dependson: BAC-1',
        '  depends on BAC-1 landing first.',
      ].join('\n'),
    ).tasks;
    expect(task).toMatchObject({
      prompt: 'Note: the router is hot code.\ndependson: BAC-1\ndepends on BAC-1 landing first.',
      dependsOn: [],
    });
  });

  it('reads no field or task inside a fenced code block', () => {
    const set = parse(
      [
        'Config format:',
        '```yaml',
        '- BAC-9: not a task',
        '```',
        '- BAC-2: Add the config loader',
        '  ```yaml',
        '  model: claude-haiku-4-5',
        '  - BAC-10: still code',
        '  ```',
        '  model: claude-opus-4-6',
      ].join('\n'),
    );
    expect(set.context).toBe('Config format:\n```yaml\n- BAC-9: not a task\n```');
    expect(set.tasks).toEqual([
      expect.objectContaining({
        id: 'BAC-2',
        prompt: '```yaml\nmodel: claude-haiku-4-5\n- BAC-10: still code\n```',
        model: 'claude-opus-4-6',
      }),
    ]);
  });

  it('skips a checked item with its fields, even ones that would not parse', () => {
    const set = parse(
      [
        '- [x] BAC-101: Rename the config loader',
        '  - paths: src/config/**',
        '  - estimate: someday',
        '  depends on: nothing',
        '- [ ] BAC-102: Load the config once',
        '  estimate: 1d',
      ].join('\n'),
    );
    expect(set.tasks).toEqual([
      {
        id: 'BAC-102',
        title: 'Load the config once',
        prompt: '',
        dependsOn: [],
        paths: [],
        estimate: 8,
        where: 'input `tasks` line 5',
      },
    ]);
    expect(set.context).toBe('');
  });

  it('reads a long prompt and a run of replacement characters without failing', () => {
    // What it reads is the point here, not how soon: a busy machine may take longer than the usual limit.
    const long = parseMarkdownTasks(`- BAC-1: x\n${'  line\n'.repeat(30_000)}`, 'input `tasks`', {
      timeLimitMs: 120_000,
    }).set.tasks[0]!;
    expect(long.prompt.split('\n')).toHaveLength(30_000);
    expect(
      parse(`- BAC-1: ${'\uFFFD'.repeat(5000)}\n  ${'\uFFFD'.repeat(5000)}`).tasks[0]!.prompt,
    ).toHaveLength(5000);
  });
});

describe('parseEstimate', () => {
  it.each([
    ['2h', 2],
    ['1.5h', 1.5],
    ['45m', 0.75],
    ['90 min', 1.5],
    ['3', 3],
    ['.5', 0.5],
    ['1d', 8],
    ['2 hours', 2],
    [4, 4],
  ])('reads %p as %p hours', (text, hours) => {
    expect(parseEstimate(text)).toBe(hours);
  });

  it.each(['soon', '', '0', '0h', '-1', '2 weeks', '1h30m', 'h', '1.h'])(
    'reads %p as no duration',
    (text) => {
      expect(parseEstimate(text)).toBeUndefined();
    },
  );

  it('refuses numbers that are not a positive duration', () => {
    expect([0, -2, NaN, Infinity].map(parseEstimate)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
