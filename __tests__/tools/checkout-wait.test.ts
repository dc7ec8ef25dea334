import { touchedPaths } from '../../src/tools/checkout-wait.js';
import { EventStream, type RunEvent } from '../../src/events.js';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';

describe('touchedPaths', () => {
  it('names the file of a file tool', () => {
    expect(touchedPaths('read', { file_path: 'src/a.ts' })).toEqual(['src/a.ts']);
    expect(touchedPaths('write', { file_path: '/work/tree/src/a.ts', content: '' })).toEqual([
      '/work/tree/src/a.ts',
    ]);
    expect(touchedPaths('edit', { file_path: 'a.ts', old_string: 'a', new_string: 'b' })).toEqual(['a.ts']);
  });

  it('names the directory a search stays in', () => {
    expect(touchedPaths('grep', { pattern: 'x', path: 'src/api' })).toEqual(['src/api/']);
    expect(touchedPaths('glob', { pattern: 'src/api/**/*.ts' })).toEqual(['src/api/']);
    expect(touchedPaths('glob', { pattern: '*.ts', path: 'src/api/' })).toEqual(['src/api/']);
    expect(touchedPaths('glob', { pattern: '{a,b}/*.ts', path: 'src' })).toEqual(['src/a/', 'src/b/']);
  });

  it('names nothing, so the whole tree, for what may touch anything', () => {
    expect(touchedPaths('bash', { command: 'cat src/a.ts' })).toBeUndefined();
    expect(touchedPaths('grep', { pattern: 'x' })).toBeUndefined();
    expect(touchedPaths('glob', { pattern: '**/*.ts' })).toBeUndefined();
    expect(touchedPaths('read', {})).toBeUndefined();
  });
});

describe('an agent whose task names its paths', () => {
  it('reads files outside them too: the call waits for the rest of the tree', async () => {
    const repo = makeRepo({ 'README.md': '# r\n', 'src/a/x.ts': 'inside\n', 'src/b/y.ts': 'outside\n' });
    const server = await startMessagesServer({
      scripts: {
        'CW-1': [
          {
            tools: [
              { name: 'read', input: { file_path: 'src/a/x.ts' } },
              { name: 'read', input: { file_path: 'src/b/y.ts' } },
            ],
          },
          { text: 'Read both.' },
        ],
      },
    });
    const events = new EventStream();
    const seen: RunEvent[] = [];
    events.on((e) => seen.push(e));
    try {
      const [result] = await runAgentsAgainst(server.url, [taskOf('CW-1', { paths: ['src/a/**'] })], {
        repo,
        events,
        tools: ['read'],
      });
      expect(result!.status).toBe('succeeded');
      const outputs = seen.flatMap((e) => (e.type === 'tool-result' ? [[e.isError, e.output]] : []));
      expect(outputs).toEqual([
        [false, expect.stringContaining('inside')],
        [false, expect.stringContaining('outside')],
      ]);
    } finally {
      await server.close();
    }
  });
});
