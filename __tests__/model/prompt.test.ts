import { systemPrompt, taskPrompt } from '../../src/model/prompt.js';
import { readRepositoryBrief, type BaseReader } from '../../src/model/repository-brief.js';
import type { Task } from '../../src/tasks/task.js';

function task(fields: Partial<Task> = {}): Task {
  return {
    id: 'BAC-13',
    title: 'Route by model',
    prompt: 'Send claude-* models to Anthropic.',
    dependsOn: [],
    paths: [],
    ...fields,
  };
}

function base(files: Record<string, string>, top = ['src/', 'package.json']): BaseReader {
  // As `ls-tree` lists them: every file given is at the top level, after the rest.
  return { file: async (path) => files[path], topLevel: async () => [...top, ...Object.keys(files)] };
}

describe('systemPrompt', () => {
  it("gives every agent the repository's CLAUDE.md and AGENTS.md and its layout, before the maintainers' words", async () => {
    const brief = await readRepositoryBrief(
      base({ 'CLAUDE.md': 'Use tabs.\n', 'AGENTS.md': 'Run npm test before you finish.\n' }),
    );
    const system = systemPrompt('Shared notes.', 'Be brief.', brief);
    expect(system).toContain("# The repository's instructions for coding agents (CLAUDE.md)\n\nUse tabs.");
    expect(system).toContain('(AGENTS.md)\n\nRun npm test before you finish.');
    expect(system).toContain('Its top level: src/, package.json, CLAUDE.md, AGENTS.md.');
    expect(system.indexOf('Use tabs.')).toBeLessThan(system.indexOf('Be brief.'));
    expect(system.indexOf('Be brief.')).toBeLessThan(system.indexOf('Shared notes.'));
  });

  it('gives one file once when both names hold the same text, and none when there is none', async () => {
    const same = await readRepositoryBrief(base({ 'CLAUDE.md': 'Same.', 'AGENTS.md': 'Same.' }));
    expect(same.guides.map((g) => g.file)).toEqual(['CLAUDE.md']);
    const none = await readRepositoryBrief(base({}));
    expect(none.guides).toEqual([]);
    expect(systemPrompt('', '', none)).not.toContain('instructions for coding agents');
  });

  it('reads no guide the top level does not list', async () => {
    const asked: string[] = [];
    const brief = await readRepositoryBrief({
      file: async (path) => (asked.push(path), 'Use tabs.'),
      topLevel: async () => ['src/', 'AGENTS.md'],
    });
    expect(asked).toEqual(['AGENTS.md']);
    expect(brief.guides.map((g) => g.file)).toEqual(['AGENTS.md']);
  });

  it('cuts a long guide at a line end with a note, and a long layout with a count', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const brief = await readRepositoryBrief(
      base(
        { 'CLAUDE.md': line.repeat(1000) },
        Array.from({ length: 70 }, (_, i) => `f${i}`),
      ),
    );
    const guide = brief.guides[0]!;
    expect(guide.cutAt).toBe(16_384);
    expect(Buffer.byteLength(guide.text)).toBeLessThanOrEqual(16_384);
    expect(guide.text.endsWith('x')).toBe(true);
    const system = systemPrompt('', '', brief);
    expect(system).toContain('(CLAUDE.md goes on past 16384 bytes; read the file for the rest.)');
    expect(system).toContain('f59 and 11 more.');
  });
});

describe('taskPrompt', () => {
  it('starts with the id and title, then the text', () => {
    expect(taskPrompt(task())).toBe('# BAC-13: Route by model\n\nSend claude-* models to Anthropic.');
  });

  it('names the scope, what the task builds on and the check it will be held to', () => {
    const text = taskPrompt(task({ paths: ['src/router.js'] }), {
      buildsOn: [
        { id: 'BAC-12', title: 'Fix the router', filesChanged: ['src/router.js'], why: 'dependency' },
      ],
      verify: 'npm test',
      shell: false,
    });
    expect(text).toContain('This task is about these paths: `src/router.js`.');
    expect(text).toContain('- BAC-12 (Fix the router), which changed `src/router.js`: it depends on.');
    expect(text).toContain('When you finish, `npm test` runs on your work. You have no shell to run it');
    expect(text.startsWith('# BAC-13: Route by model\n\nSend claude-* models')).toBe(true);
  });
});
