import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/errors.js';
import { parseMarkdownTasks } from '../../src/tasks/markdown.js';
import { parseTaskSource, readTaskFile } from '../../src/tasks/task-file.js';
import type { TaskSet } from '../../src/tasks/task.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tasks');
const yaml = (...lines: string[]) => parseTaskSource(lines.join('\n'), 'tasks.yml').set;
const json = (...lines: string[]) => parseTaskSource(lines.join('\n'), 'tasks.json').set;
const markdown = (...lines: string[]) => parseMarkdownTasks(lines.join('\n'), 'input `tasks`');

let base: string;
let workspace: string;
const read = async (relPath: string) => (await readTaskFile(workspace, relPath)).set;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'task-file-'));
  workspace = path.join(base, 'repo');
  await mkdir(path.join(workspace, 'docs', 'tasks.md'), { recursive: true });
  await writeFile(path.join(base, 'secret.md'), '- BAC-1: Read what is outside\n');
  await symlink(path.join(base, 'secret.md'), path.join(workspace, 'linked.md'));
  await symlink(base, path.join(workspace, 'up'));
  await writeFile(path.join(workspace, 'inside.yml'), 'tasks:\n  - id: BAC-1\n');
  await symlink('inside.yml', path.join(workspace, 'alias.yml'));
  await writeFile(
    path.join(workspace, 'latin1.md'),
    Buffer.concat([Buffer.from('# Tasks\n\n- BAC-1: Caf'), Buffer.from([0xe9]), Buffer.from(' menu\n')]),
  );
  await writeFile(path.join(workspace, 'big.md'), Buffer.alloc(2 * 1024 * 1024, 'a'));
  await writeFile(path.join(workspace, 'bom.json'), '\uFEFF{"tasks": [{"id": "BAC-1"}]}\r\n');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('bad input', () => {
  const cases: [string, () => unknown, string][] = [
    // Markdown: the `tasks` input, issue bodies, *.md files.
    [
      'a Markdown id listed twice',
      () => markdown('- BAC-1: a', '- BAC-2: b', '- BAC-1: c'),
      'input `tasks`: BAC-1 is listed twice (lines 1 and 3). Keep one item per id, or give the second task its own id',
    ],
    [
      'prose with no ids',
      () => markdown('Please fix the routing and add CI.'),
      'input `tasks`: no task found. List each task as a Markdown item that starts with its id, e.g. `- BAC-124: Fix model routing`',
    ],
    [
      'only checked items',
      () => markdown('- [x] BAC-1: done', '  estimate: 2h', '- [X] BAC-2: done too'),
      'input `tasks`: every task is checked as done. Uncheck (`- [ ]`) the tasks to run',
    ],
    [
      'a 2 MB issue body',
      () => parseMarkdownTasks(`- BAC-1: Fix it\n  ${'a'.repeat(2 * 1024 * 1024)}`, 'issue #7'),
      'issue #7: the text is 2,097,170 bytes, over the 1 MiB limit (1,048,576 bytes). Split the tasks across runs, or move long instructions into files in the repository and point the prompts at them',
    ],
    [
      'an estimate that is not a duration',
      () => markdown('# Sprint', '', '- BAC-1: a', '- BAC-2: b', '  Make it fast.', '', '  estimate: soon'),
      'input `tasks` line 7: BAC-2 has estimate "soon", which is not a duration. Write it as 2h, 1.5h, 30m, 1d (8 hours) or a number of hours, above zero',
    ],
    [
      'depends on with something other than ids',
      () => markdown('- BAC-2: b', '  depends on: BAC-117 and BAC-118'),
      'input `tasks` line 2: BAC-2 depends on "and", which is not a task id. An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124',
    ],
    [
      'depends on with a lower-case id',
      () => markdown('- BAC-2: b', '  - depends on: bac-1'),
      'input `tasks` line 2: BAC-2 depends on "bac-1", which is not a task id. An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124',
    ],
    [
      'depends on with no ids',
      () => markdown('- BAC-2: b', '  depends on:'),
      'input `tasks` line 2: BAC-2 has "depends on:" with no ids. List the ids it waits for, e.g. `depends on: BAC-117, BAC-118`, or remove the line',
    ],
    [
      'empty paths',
      () => markdown('- BAC-2: b', '  paths: ,'),
      'input `tasks` line 2: BAC-2 has an empty paths list. List the files it touches as globs, e.g. src/gateway/**, or leave paths out',
    ],
    [
      'a field given twice',
      () => markdown('- BAC-2: b', '  paths: src/a/**', '  - paths: src/b/**'),
      'input `tasks` line 3: BAC-2 gives paths twice (lines 2 and 3). Put all of them on one line, separated by commas',
    ],
    [
      'a model that is not an id',
      () => markdown('- BAC-2: b', '  model: the big one'),
      'input `tasks` line 2: BAC-2 has model "the big one", which is not a model id. Write the model\'s id, e.g. claude-sonnet-4-6',
    ],

    // YAML
    [
      'malformed YAML',
      () => yaml('tasks:', '  - id: BAC-1', '   title: Fix routing'),
      'tasks.yml line 3, column 1: sequence item without - indicator. Fix the YAML syntax there',
    ],
    [
      'an unquoted ": " in a YAML value',
      () => yaml('tasks:', '  - id: BAC-1', '    title: Routing: fix the fallback'),
      'tasks.yml line 3, column 12: a value holds ": " where YAML expects a new key. Quote text that contains ": ", e.g. title: "Routing: fix the fallback"',
    ],
    [
      'tabs for indentation',
      () => yaml('tasks:', '\t- id: BAC-1'),
      'tasks.yml line 2, column 1: a tab is used for indentation. Indent YAML with spaces',
    ],
    [
      'two YAML documents',
      () => yaml('tasks:', '  - id: BAC-1', '---', 'tasks:', '  - id: BAC-2'),
      'tasks.yml line 3, column 1: the file holds more than one YAML document. Keep one: remove the `---` line, or merge the documents',
    ],
    [
      'an unknown top-level field',
      () => yaml('context: Sprint 12', 'task:', '  - id: BAC-1'),
      'tasks.yml line 2, column 1: unknown field "task". Known fields: context, tasks',
    ],
    [
      'an unknown task field',
      () =>
        yaml(
          'tasks:',
          '  - id: BAC-1',
          '    title: Design CI',
          '  - id: BAC-2',
          '    title: Fix routing',
          '    dependson: [BAC-1]',
        ),
      'tasks.yml line 6, column 5: unknown field "dependson" in BAC-2. Known fields: id, title, prompt, depends_on, paths, model, estimate',
    ],
    [
      'a YAML id listed twice',
      () => yaml('tasks:', '  - id: BAC-1', '    title: a', '  - id: BAC-2', '  - id: BAC-1'),
      'tasks.yml: BAC-1 is listed twice (lines 2 and 5). Keep one task per id, or give the second task its own id',
    ],
    ...['xBAC-1', 'BAC-1x', 'bac-1', 'BAC-01', 'BAC-1 BAC-2'].map((id): [string, () => unknown, string] => [
      `the YAML id ${id}`,
      () => yaml('tasks:', `  - id: ${id}`),
      `tasks.yml line 2, column 9: ${JSON.stringify(id)} is not a task id. An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124`,
    ]),
    [
      'a number as id',
      () => yaml('tasks:', '  - id: 124'),
      "tasks.yml line 2, column 9: task 1's id is the number 124, not a task id. An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124",
    ],
    [
      'a task without an id',
      () => yaml('tasks:', '  - title: Fix routing'),
      'tasks.yml line 2, column 5: task 1 has no id. Give it one, e.g. id: BAC-124',
    ],
    [
      'a task that is only an id',
      () => yaml('tasks:', '  - BAC-1'),
      'tasks.yml line 2, column 5: task 1 is the text "BAC-1", not a mapping. Write each task as a mapping with at least an id, e.g. {"id": "BAC-124"}',
    ],
    [
      'an empty YAML task list',
      () => yaml('context: Sprint 12', 'tasks: []'),
      'tasks.yml line 2, column 8: the task list is empty. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'no tasks key',
      () => yaml('context: Sprint 12'),
      'tasks.yml line 1, column 1: there is no "tasks" list. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'a bare list of tasks',
      () => yaml('- id: BAC-1'),
      'tasks.yml line 1, column 1: the file holds a list, not a mapping with a "tasks" list. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'a YAML file with only a comment',
      () => yaml('# tasks go here'),
      'tasks.yml: the file is empty. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'depends_on that is not a list',
      () => yaml('tasks:', '  - id: BAC-2', '    depends_on: BAC-1'),
      'tasks.yml line 3, column 17: BAC-2\'s depends_on is the text "BAC-1", not a list. Write it as a list: ["BAC-117"]',
    ],
    [
      'a depends_on entry that is not an id',
      () => yaml('tasks:', '  - id: BAC-2', '    depends_on:', '      - BAC-1', '      - the CI task'),
      'tasks.yml line 5, column 9: BAC-2 depends on "the CI task", which is not a task id. An id is a team key in capitals, a hyphen and a number without a leading zero, e.g. BAC-124',
    ],
    [
      'a YAML estimate that is not a duration',
      () => yaml('tasks:', '  - id: BAC-2', '    estimate: 2 weeks'),
      'tasks.yml line 3, column 15: BAC-2 has estimate "2 weeks", which is not a duration. Write it as 2h, 1.5h, 30m, 1d (8 hours) or a number of hours, above zero',
    ],
    [
      'a negative YAML estimate',
      () => yaml('tasks:', '  - id: BAC-2', '    estimate: -1'),
      'tasks.yml line 3, column 15: BAC-2 has estimate -1, which is not a duration. Write it as 2h, 1.5h, 30m, 1d (8 hours) or a number of hours, above zero',
    ],
    [
      'an empty YAML paths list',
      () => yaml('tasks:', '  - id: BAC-2', '    paths: []'),
      'tasks.yml line 3, column 12: BAC-2 has an empty paths list. List the files it touches as globs, e.g. src/gateway/**, or leave paths out',
    ],
    [
      'a title that is not text',
      () => yaml('tasks:', '  - id: BAC-2', '    title: [Fix, routing]'),
      "tasks.yml line 3, column 12: BAC-2's title is a list, not text. Write title as a string, in quotes if need be",
    ],

    // JSON
    [
      'a trailing comma in JSON',
      () => json('{', '  "tasks": [', '    { "id": "BAC-1", "title": "Fix routing", }', '  ]', '}'),
      "tasks.json line 3, column 46: found '}' after a comma, and JSON allows no trailing comma. Fix the JSON syntax there",
    ],
    [
      'a missing comma in JSON',
      () => json('{', '  "tasks": [', '    { "id": "BAC-1" }', '    { "id": "BAC-2" }', '  ]', '}'),
      "tasks.json line 4, column 5: expected ',' or ']' after array element, found '{'. Fix the JSON syntax there",
    ],
    [
      'an unquoted JSON key',
      () => json('{ "tasks": [ { id: "BAC-1" } ] }'),
      "tasks.json line 1, column 16: expected property name or '}', found 'i'. Fix the JSON syntax there",
    ],
    [
      'JSON cut short',
      () => json('{ "tasks": [ { "id": "BAC-1" }'),
      "tasks.json line 1, column 31: expected ',' or ']' after array element, found the end of the file. Fix the JSON syntax there",
    ],
    [
      'a line break inside a JSON string',
      () => json('{ "tasks": [ { "id": "BAC-1", "prompt": "Fix', 'routing" } ] }'),
      'tasks.json line 1, column 45: a string runs past the end of its line (write a line break as \\n). Fix the JSON syntax there',
    ],
    [
      'a trailing comma in a JSON list, where JSON.parse names no position',
      () => json('{ "tasks": [', '  { "id": "BAC-1", "depends_on": ["BAC-2",] }', '] }'),
      "tasks.json line 2, column 43: found ']' after a comma, and JSON allows no trailing comma. Fix the JSON syntax there",
    ],
    [
      'a JSON string in single quotes',
      () => json('{ "tasks": [', '  { "id": \'BAC-1\' }', '] }'),
      "tasks.json line 2, column 11: unexpected '''. Fix the JSON syntax there",
    ],
    [
      'a YAML alias with no anchor',
      () => yaml('tasks:', '  - id: BAC-1', '    paths: *gateway'),
      'tasks.yml line 3, column 12: the alias *gateway has no anchor &gateway before it. Anchor the value where it is first written, e.g. paths: &gateway [src/gateway/**], or write it out',
    ],
    [
      'a key given twice in a JSON task',
      () => json('{ "tasks": [', '  { "id": "BAC-1", "title": "a", "id": "BAC-2" }', '] }'),
      'tasks.json line 2, column 34: the key "id" is given twice in one mapping. Keep one of them',
    ],
    [
      'a JSON id listed twice on one line',
      () => json('{ "tasks": [{ "id": "BAC-1" }, { "id": "BAC-1" }] }'),
      'tasks.json: BAC-1 is listed twice (line 1, columns 13 and 32). Keep one task per id, or give the second task its own id',
    ],
    [
      'an unknown field in a JSON task',
      () => json('{ "tasks": [{ "id": "BAC-1", "dependsOn": ["BAC-2"] }] }'),
      'tasks.json line 1, column 30: unknown field "dependsOn" in BAC-1. Known fields: id, title, prompt, depends_on, paths, model, estimate',
    ],
    [
      'an empty JSON task list',
      () => json('{ "tasks": [] }'),
      'tasks.json line 1, column 12: the task list is empty. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'JSON nested a million levels deep',
      () => json('['.repeat(500_000) + ']'.repeat(500_000)),
      'tasks.json line 1, column 66: the data is nested more than 64 levels deep. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'YAML nested too deep',
      () => yaml(`tasks: ${'['.repeat(100)}${']'.repeat(100)}`),
      'tasks.yml line 1, column 72: the data is nested more than 64 levels deep. List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}',
    ],
    [
      'a file name with an unknown extension',
      () => parseTaskSource('- BAC-1: Fix routing', 'tasks.txt'),
      'tasks.txt: the extension is not one of .md, .yml, .yaml or .json. Rename the file, or write the tasks in one of those formats',
    ],

    // Task files
    [
      'a path that climbs out of the repository',
      () => read('../../etc/passwd'),
      'tasks-file: ../../etc/passwd is outside the repository. Give a path inside it, relative to the repository root',
    ],
    [
      'an absolute path',
      () => read('/etc/passwd'),
      'tasks-file: /etc/passwd is an absolute path. Give the path relative to the repository root, e.g. docs/tasks.yml',
    ],
    [
      'a symbolic link to a file outside the repository',
      () => read('linked.md'),
      'tasks-file: linked.md is a link to a file outside the repository. Point tasks-file at a .md, .yml, .yaml or .json file in the repository',
    ],
    [
      'a path through a symbolic link to a directory outside the repository',
      () => read('up/secret.md'),
      'tasks-file: up/secret.md is a link to a file outside the repository. Point tasks-file at a .md, .yml, .yaml or .json file in the repository',
    ],
    [
      'a directory instead of a file',
      () => read('docs/tasks.md'),
      'tasks-file: docs/tasks.md is a directory. Point tasks-file at a .md, .yml, .yaml or .json file in the repository',
    ],
    [
      'a missing file',
      () => read('docs/tasks.yml'),
      'tasks-file: docs/tasks.yml was not found in the repository. Check the path; it is relative to the repository root',
    ],
    [
      'a file with an unknown extension',
      () => read('docs/tasks.txt'),
      'tasks-file: docs/tasks.txt is not a .md, .yml, .yaml or .json file. Rename it, or point tasks-file at a .md, .yml, .yaml or .json file in the repository',
    ],
    [
      'a file over 1 MiB',
      () => read('big.md'),
      'tasks-file: big.md is 2,097,152 bytes, over the 1 MiB limit (1,048,576 bytes). Split the tasks across runs, or move long instructions into files in the repository and point the prompts at them',
    ],
    [
      'a file that is not UTF-8',
      () => read('latin1.md'),
      'latin1.md line 3: the file is not valid UTF-8 text. Save it as UTF-8',
    ],
    [
      'an empty path',
      () => readTaskFile(workspace, ' ', 'tasks-file'),
      'tasks-file: no path was given. Point tasks-file at a .md, .yml, .yaml or .json file in the repository',
    ],
  ];

  it.each(cases)('refuses %s with one clear line', async (_, run, message) => {
    const error = await Promise.resolve()
      .then(run)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(message);
  });

  it('covers at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});

describe('task files', () => {
  const withoutOrigin = (set: TaskSet) => ({
    context: set.context,
    tasks: set.tasks.map(({ where: _where, ...task }) => task),
  });

  it('reads the same three tasks from Markdown, YAML and JSON', async () => {
    const [md, yml, jsn] = await Promise.all(
      ['tasks.md', 'tasks.yml', 'tasks.json'].map(async (file) => (await readTaskFile(fixtures, file)).set),
    );
    expect(withoutOrigin(yml!)).toEqual(withoutOrigin(md!));
    expect(withoutOrigin(jsn!)).toEqual(withoutOrigin(md!));
    expect([md!.source, yml!.source, jsn!.source]).toEqual(['tasks.md', 'tasks.yml', 'tasks.json']);
  });

  it('reads ids, fields and where each task is defined', async () => {
    const { set } = await readTaskFile(fixtures, './tasks.yml');
    expect(set.source).toBe('tasks.yml');
    expect(set.context).toMatch(/^# Sprint 12: gateway hardening\n\nThe gateway is a TypeScript service/);
    expect(set.tasks).toEqual([
      expect.objectContaining({
        id: 'BAC-117',
        title: 'Design CI/CD enforcement',
        dependsOn: [],
        paths: ['.github/workflows/**', 'docs/ci.md'],
        estimate: 2,
        where: 'tasks.yml line 11',
      }),
      expect.objectContaining({
        id: 'BAC-124',
        title: 'Fix model routing',
        dependsOn: ['BAC-117'],
        paths: ['src/gateway/routing/**', '__tests__/gateway/routing.test.ts'],
        model: 'claude-opus-4-6',
        estimate: 1.5,
        where: 'tasks.yml line 21',
      }),
      expect.objectContaining({
        id: 'BAC-131',
        dependsOn: ['BAC-117', 'BAC-124'],
        estimate: 1,
        where: 'tasks.yml line 33',
      }),
    ]);
    expect(set.tasks[0]!.model).toBeUndefined();
    expect(set.tasks[0]!.prompt).toBe(
      'Add a GitHub Actions workflow that runs lint, the type check and the tests\n' +
        'on every pull request, and make it a required check for `main`.\n\n' +
        'Keep the workflow under 80 lines; cache npm.',
    );
  });

  it('leaves the checked Markdown task out, with its fields', async () => {
    const { set } = await readTaskFile(fixtures, 'tasks.md');
    expect(set.tasks.map((t) => t.id)).toEqual(['BAC-117', 'BAC-124', 'BAC-131']);
    expect(set.tasks.map((t) => t.where)).toEqual([
      'tasks.md line 6',
      'tasks.md line 13',
      'tasks.md line 20',
    ]);
    expect(set.context).not.toContain('someday');
  });

  it('follows a symbolic link that stays inside the repository', async () => {
    const set = await read('alias.yml');
    expect(set.tasks.map((t) => t.id)).toEqual(['BAC-1']);
    expect(set.source).toBe('alias.yml');
  });

  it('reads a JSON file that starts with a byte order mark and ends with CRLF', async () => {
    expect((await read('bom.json')).tasks.map((t) => t.id)).toEqual(['BAC-1']);
  });

  it('reads YAML anchors and aliases, and drops repeated dependencies', () => {
    const set = yaml(
      'tasks:',
      '  - id: BAC-1',
      '    paths: &gateway [src/gateway/**]',
      '  - id: BAC-2',
      '    paths: *gateway',
      '    depends_on: [BAC-1, BAC-1]',
      '    estimate: 30m',
    );
    expect(set.tasks[1]).toMatchObject({ paths: ['src/gateway/**'], dependsOn: ['BAC-1'], estimate: 0.5 });
  });

  describe('bounds what YAML aliases expand to', () => {
    const fix =
      'Write the values out instead of repeating them through anchors (`&name`) and aliases (`*name`)';
    const refusal = (lines: string[]) => {
      const started = performance.now();
      const error = (() => {
        try {
          yaml(...lines);
        } catch (caught) {
          return caught as InputError;
        }
      })();
      return { message: error?.message, seconds: (performance.now() - started) / 1000 };
    };

    it('refuses 2,000 aliases at the first one past 100, at once', () => {
      const { message, seconds } = refusal([
        'context: &ref BAC-2',
        'tasks:',
        ...Array.from({ length: 2000 }, (_, i) => `  - { id: BAC-${i + 3}, depends_on: [*ref] }`),
      ]);
      expect(message).toBe(`tasks.yml line 103, column 33: the file has more than 100 aliases. ${fix}`);
      expect(seconds).toBeLessThan(2);
    });

    it('refuses aliases of lists of aliases that expand past what one value may be copied (billion laughs)', () => {
      const levels = Array.from(
        { length: 10 },
        (_, i) => `l${i + 1}: &l${i + 1} [*l${i}, *l${i}, *l${i}, *l${i}]`,
      );
      const { message, seconds } = refusal(['l0: &l0 [BAC-1]', ...levels, 'tasks: *l10']);
      expect(message).toBe(`tasks.yml: the aliases expand to more than 100 copies of a value. ${fix}`);
      expect(seconds).toBeLessThan(2);
    });

    it('counts what aliases expand to toward the 1 MiB limit', () => {
      const { message } = refusal([
        `context: &long ${'x'.repeat(20_000)}`,
        'tasks:',
        ...Array.from({ length: 60 }, (_, i) => `  - { id: BAC-${i + 1}, prompt: *long }`),
      ]);
      expect(message).toBe(`tasks.yml: the aliases expand the tasks to more than 1,048,576 bytes. ${fix}`);
    });

    it('reads a list shared by 90 tasks', () => {
      const set = yaml(
        'tasks:',
        '  - { id: BAC-1, paths: &gateway [src/gateway/**] }',
        ...Array.from({ length: 90 }, (_, i) => `  - { id: BAC-${i + 2}, paths: *gateway }`),
      );
      expect(set.tasks.at(-1)).toMatchObject({ id: 'BAC-91', paths: ['src/gateway/**'] });
    });
  });

  it('points an error in an aliased value at the alias', () => {
    expect(() =>
      yaml(
        'tasks:',
        '  - id: BAC-1',
        '    estimate: &n 2',
        '  - id: BAC-2',
        '    title: Fix',
        '    prompt: *n',
      ),
    ).toThrow("tasks.yml line 6, column 13: BAC-2's prompt is the number 2, not text.");
  });

  it('reads a .md file name as Markdown', () => {
    const { set } = parseTaskSource('Shared.\n\n- BAC-1: Fix routing\n  estimate: 1h', 'docs/tasks.md');
    expect(set).toEqual({
      context: 'Shared.',
      source: 'docs/tasks.md',
      tasks: [
        {
          id: 'BAC-1',
          title: 'Fix routing',
          prompt: '',
          dependsOn: [],
          paths: [],
          estimate: 1,
          where: 'docs/tasks.md line 3',
        },
      ],
    });
  });

  it('names a custom input in its messages', async () => {
    await expect(readTaskFile(workspace, 'nope.json', 'with.tasks-file')).rejects.toThrow(
      'with.tasks-file: nope.json was not found in the repository.',
    );
  });
});
