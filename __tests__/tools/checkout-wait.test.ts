import { EventStream, type RunEvent } from '../../src/events.js';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';

describe('an agent whose first tool call comes before its checkout is done', () => {
  it('reads every file: the call waits for the whole tree', async () => {
    const files: Record<string, string> = { 'README.md': '# r\n', 'src/a/x.ts': 'inside\n' };
    // Enough files that the checkout is still writing when the first reply arrives at once.
    for (let i = 0; i < 2000; i++) files[`src/b/f${i}.ts`] = `file ${i}\n`;
    files['src/b/y.ts'] = 'outside\n';
    const repo = makeRepo(files);
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
      // The two reads run at once, so they may end in either order.
      const outputs = seen
        .flatMap((e) => (e.type === 'tool-result' ? [[e.isError, e.output] as const] : []))
        .sort(([, a], [, b]) => Number(a.includes('outside')) - Number(b.includes('outside')));
      expect(outputs).toEqual([
        [false, expect.stringContaining('inside')],
        [false, expect.stringContaining('outside')],
      ]);
    } finally {
      await server.close();
    }
  });
});
