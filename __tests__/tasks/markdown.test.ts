import { InputError } from '../../src/errors.js';
import { parseMarkdownTasks } from '../../src/tasks/markdown.js';
import { findRefs } from '../../src/tasks/refs.js';

const parse = (md: string) => parseMarkdownTasks(md, 'input `tasks`');

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
      },
      { id: 'BAC-124', title: 'Fix model routing', prompt: '', dependsOn: [], paths: [] },
      { id: 'ENG-7', title: '', prompt: '', dependsOn: [], paths: [] },
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
