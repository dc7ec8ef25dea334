import fs from 'node:fs';
import path from 'node:path';
import { EventStream, type AgentEvent } from '../../src/events.js';
import { openAuditLog } from '../../src/report/audit.js';
import { tempDir } from '../../support/git-repo.js';

describe('the audit log', () => {
  it('writes every event as one JSON line, with secrets redacted and long outputs cut', async () => {
    const file = path.join(tempDir(), 'results', 'audit.jsonl');
    const events = new EventStream();
    const log = openAuditLog(events, file, ['sk-ant-secret-value', 'ghs_"quoted"token']);
    const sent: AgentEvent[] = [
      { type: 'started', task: 'BAC-1', at: 1, branch: 'parallel-agents/bac-1', model: 'm' },
      {
        type: 'tool-call',
        task: 'BAC-1',
        at: 2,
        tool: 'bash',
        id: 't1',
        input: { command: 'echo sk-ant-secret-value' },
      },
      {
        type: 'tool-result',
        task: 'BAC-1',
        at: 3,
        tool: 'bash',
        id: 't1',
        isError: false,
        output: 'x'.repeat(20_000),
      },
      {
        type: 'tool-result',
        task: 'BAC-1',
        at: 4,
        tool: 'read',
        id: 't2',
        isError: false,
        output: 'token=ghs_"quoted"token',
      },
    ];
    for (const e of sent) events.emit(e);
    await log.close();
    events.emit({
      type: 'usage',
      task: 'BAC-1',
      at: 5,
      usage: { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 },
    });

    const text = fs.readFileSync(file, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AgentEvent);
    expect(lines.map((e) => e.type)).toEqual(['started', 'tool-call', 'tool-result', 'tool-result']);
    expect(text).not.toContain('sk-ant-secret-value');
    expect(text).not.toContain('quoted');
    expect(lines[1]).toMatchObject({ input: { command: 'echo ***' } });
    expect(lines[3]).toMatchObject({ output: 'token=***' });
    expect((lines[2] as { output: string }).output).toMatch(/^x{8000}… \(12000 characters omitted\)$/);
  });

  it('redacts a secret that straddles the point where a long output is cut', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const events = new EventStream();
    const secret = 'ghs_straddlingTheCut0123456789';
    const log = openAuditLog(events, file, [secret]);
    const output = `${'y'.repeat(7_990)}${secret}${'z'.repeat(100)}`;
    events.emit({ type: 'tool-result', task: 'BAC-1', at: 1, tool: 'bash', id: 't', isError: false, output });
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('ghs_straddling');
    expect(text).toContain('y'.repeat(7_990));
  });
});
