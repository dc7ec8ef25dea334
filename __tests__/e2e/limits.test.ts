import fs from 'node:fs';
import { makeRepo } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';

const API_KEY = 'sk-ant-api03-limitsE2EsecretKey01234567890';
const bash = (command: string) => ({ tools: [{ name: 'bash', input: { command } }] });

let model: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({
    latencyMs: 20,
    scripts: {
      // Fills the sandbox's /tmp (which is memory), then writes past its disk limit.
      'BAC-1': [
        bash('head -c 64000000 /dev/zero > /tmp/fill; echo exit=$?'),
        bash('head -c 24000000 /dev/zero > big.bin; echo wrote'),
        { text: 'Filled everything.' },
      ],
      'BAC-2': [bash('echo fine > notes.md'), { text: 'Wrote a note.' }],
    },
  });
});
afterAll(() => model.close());

interface Row {
  id: string;
  status: string;
  error?: string;
  filesChanged: string[];
}

describe('one agent past its limits, through the built action', () => {
  it('fails that agent alone, with the limit named, while the other finishes and the run reports', async () => {
    const workspace = makeRepo({ 'README.md': '# x\n' });
    const run = await runAction({
      workspace,
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        tasks: '- BAC-1: Fill the disk\n- BAC-2: Write a note',
        'allowed-tools': 'read,bash',
        'agent-tmp-mb': '16',
        'agent-disk-mb': '8',
        'fail-on': 'none',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = Object.fromEntries((JSON.parse(run.outputs.results!) as Row[]).map((r) => [r.id, r]));
    expect(rows['BAC-2']).toMatchObject({ status: 'succeeded', filesChanged: ['notes.md'] });
    expect(rows['BAC-1']!.status).toBe('failed');
    expect(rows['BAC-1']!.error).toMatch(/agent-disk-mb \(8\)/);
    // The full /tmp failed only the command that filled it: the agent went on to its next.
    const audit = fs.readFileSync(`${workspace}/parallel-agents-results/run-local-1/audit.jsonl`, 'utf8');
    const results = audit
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; task?: string; output?: string })
      .filter((e) => e.type === 'tool-result' && e.task === 'BAC-1');
    expect(results[0]?.output).toMatch(/No space left on device/);
    expect(results).toHaveLength(2);
    expect(run.summary).toContain('1/2 tasks succeeded');
    expect(fs.existsSync(`${workspace}/parallel-agents-results/run-local-1/run.html`)).toBe(true);
  });
});
