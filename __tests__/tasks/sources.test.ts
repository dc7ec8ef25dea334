import fs from 'node:fs';
import path from 'node:path';
import { runContextFrom } from '../../src/github/context.js';
import { readIssueBody } from '../../src/github/issue-source.js';
import { readTaskSet, type TaskSources } from '../../src/tasks/intake.js';
import { planTasks, type Plan } from '../../src/tasks/plan.js';
import { startLinearServer } from '../../support/linear-server.js';
import { ROOT, examplePayload } from '../../support/run-action.js';

const FIXTURES = path.join(ROOT, '__tests__/fixtures/tasks');
const MARKDOWN = fs.readFileSync(path.join(FIXTURES, 'tasks.md'), 'utf8');

const none: TaskSources = { tasks: '', tasksFile: '', workspace: FIXTURES, issue: async () => undefined };

/** What a plan says, without where each task was written. */
function gist(plan: Plan) {
  return {
    tasks: plan.tasks.map(({ id, title, dependsOn, estimate }) => ({ id, title, dependsOn, estimate })),
    dependencies: plan.dependencies,
    conflicts: plan.conflicts,
    levels: plan.levels,
    order: plan.order,
    criticalPath: plan.criticalPath,
    criticalPathHours: plan.criticalPathHours,
  };
}

async function planFrom(sources: Partial<TaskSources>) {
  const { set, notes } = await readTaskSet({ ...none, ...sources });
  return { plan: planTasks(set.tasks), set, notes };
}

describe('every task source gives the same plan for the same tasks', () => {
  let expected: ReturnType<typeof gist>;
  beforeAll(async () => {
    expected = gist((await planFrom({ tasks: MARKDOWN })).plan);
    // The fixture is a real plan: a chain of three, the third depending on both others.
    expect(expected.levels).toEqual([['BAC-117'], ['BAC-124'], ['BAC-131']]);
    expect(expected.criticalPath).toEqual(['BAC-117', 'BAC-124', 'BAC-131']);
  });

  it.each(['tasks.md', 'tasks.yml', 'tasks.json'])('from tasks-file %s', async (file) => {
    const { plan, set } = await planFrom({ tasksFile: file });
    expect(gist(plan)).toEqual(expected);
    expect(set.source).toBe(file);
  });

  it('from the body of the issue a real issues.labeled event is about', async () => {
    const payload = examplePayload('issues', 'labeled');
    (payload.issue as { body: string }).body = MARKDOWN;
    const context = runContextFrom('issues', payload, { GITHUB_REPOSITORY: 'octo-org/gateway' });
    const { plan, set } = await planFrom({
      issue: () => readIssueBody({ octokit: () => undefined, repo: context.repo, context }),
    });
    expect(gist(plan)).toEqual(expected);
    expect(set.source).toMatch(/^issue #\d+$/);
  });

  it('from Linear, given only the ids', async () => {
    const linear = await startLinearServer({
      apiKey: 'lin_api_sources',
      issues: [
        {
          identifier: 'BAC-117',
          title: 'Design CI/CD enforcement',
          estimate: 2,
          relations: [
            { type: 'blocks', relatedIssue: 'BAC-124' },
            { type: 'blocks', relatedIssue: 'BAC-131' },
          ],
        },
        {
          identifier: 'BAC-124',
          title: 'Fix model routing',
          estimate: 1.5,
          relations: [{ type: 'blocks', relatedIssue: 'BAC-131' }],
        },
        { identifier: 'BAC-131', title: 'Architecture note for the gateway', estimate: 1 },
      ],
    });
    try {
      const { plan } = await planFrom({
        tasks: '- BAC-117\n- BAC-124\n- BAC-131\n',
        linear: { apiKey: 'lin_api_sources', apiUrl: linear.url },
      });
      expect(gist(plan)).toEqual(expected);
    } finally {
      await linear.close();
    }
  });

  it('prefers tasks over tasks-file over the issue body, and says which it used', async () => {
    const issue = async () => ({ text: '- ISS-1: from the issue', where: 'issue #3' });
    expect((await planFrom({ tasks: '- INL-1: inline', tasksFile: 'tasks.yml', issue })).notes[0]).toBe(
      '1 task from input `tasks`',
    );
    expect((await planFrom({ tasksFile: 'tasks.yml', issue })).notes[0]).toBe('3 tasks from tasks.yml');
    expect((await planFrom({ issue })).notes[0]).toBe('1 task from issue #3');
  });

  it('refuses a list whose every task is already done in Linear', async () => {
    const linear = await startLinearServer({
      apiKey: 'lin_api_done',
      issues: [{ identifier: 'BAC-1', title: 'Shipped', state: { name: 'Done', type: 'completed' } }],
    });
    try {
      await expect(
        planFrom({ tasks: '- BAC-1\n', linear: { apiKey: 'lin_api_done', apiUrl: linear.url } }),
      ).rejects.toThrow(
        'input `tasks`: every task is completed or canceled in Linear, so none is left to run. List tasks that are still open, or leave `linear-api-key` out to run them as written',
      );
    } finally {
      await linear.close();
    }
  });
});

describe('a task list typed into the one-line tasks box', () => {
  const read = async (tasks: string, linear?: TaskSources['linear']) =>
    (await readTaskSet({ ...none, tasks, ...(linear ? { linear } : {}) })).set.tasks.map((t) => [
      t.id,
      t.title,
    ]);

  it('splits a list whose line breaks were lost, whatever its markers', async () => {
    expect(await read('- BAC-1: Fix the router - BAC-2: Add docs')).toEqual([
      ['BAC-1', 'Fix the router'],
      ['BAC-2', 'Add docs'],
    ]);
    expect(await read('1. BAC-1: Fix the router 2. BAC-2 — Add docs * [ ] BAC-3: Tidy')).toEqual([
      ['BAC-1', 'Fix the router'],
      ['BAC-2', 'Add docs'],
      ['BAC-3', 'Tidy'],
    ]);
  });

  it('keeps a one-line task whose title holds a hyphen, and several lines as they are', async () => {
    expect(await read('- BAC-1: Fix the router - the one in src/')).toEqual([
      ['BAC-1', 'Fix the router - the one in src/'],
    ]);
    expect(await read('- BAC-1: Fix the router\n- BAC-2: Add docs, see BAC-1')).toEqual([
      ['BAC-1', 'Fix the router'],
      ['BAC-2', 'Add docs, see BAC-1'],
    ]);
  });

  it('refuses ids alone without Linear, naming them, and looks them up with it', async () => {
    await expect(read('BAC-1, BAC-2')).rejects.toThrow(
      'input `tasks`: BAC-1, BAC-2 are ids alone, with no title or text for the agents. Write one task a line',
    );
    const linear = await startLinearServer({
      apiKey: 'lin_api_bare',
      issues: [
        { identifier: 'BAC-1', title: 'Fix the router' },
        { identifier: 'BAC-2', title: 'Add docs' },
      ],
    });
    try {
      expect(await read('BAC-1 BAC-2', { apiKey: 'lin_api_bare', apiUrl: linear.url })).toEqual([
        ['BAC-1', 'Fix the router'],
        ['BAC-2', 'Add docs'],
      ]);
    } finally {
      await linear.close();
    }
  });

  it('refuses a line that names several ids without saying which are tasks', async () => {
    await expect(read('- BAC-1: Fix the router, then BAC-2 and BAC-3')).rejects.toThrow(
      'input `tasks`: one line names BAC-1, BAC-2, BAC-3, and it is not clear which are tasks',
    );
  });
});
