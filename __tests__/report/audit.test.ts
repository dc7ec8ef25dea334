import fs from 'node:fs';
import path from 'node:path';
import type { AgentResult } from '../../src/result.js';
import { EventStream, type AgentEvent } from '../../src/events.js';
import { ResultFilesError, openAuditLog, writeResultFiles } from '../../src/report/audit.js';
import { redactor } from '../../src/report/redact.js';
import { tempDir } from '../../support/git-repo.js';

const resultOf = (id: string, fields: Partial<AgentResult> = {}): AgentResult => ({
  id,
  title: `Task ${id}`,
  status: 'succeeded',
  model: 'claude-sonnet-4-6',
  startedAt: 1,
  endedAt: 2,
  seconds: 0.001,
  turns: 1,
  toolCalls: 0,
  usage: { input: 1, output: 1, cacheWrite: 0, cacheRead: 0 },
  costUsd: 0,
  report: `Report of ${id}.`,
  branch: `parallel-agents/${id.toLowerCase()}`,
  pushed: false,
  filesChanged: [],
  insertions: 0,
  deletions: 0,
  ...fields,
});

const readLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

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

  it('bounds every line, whatever field is long: a 10 MB reply gives a line of a few KB', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const events = new EventStream();
    const log = openAuditLog(events, file, []);
    const huge = 'r'.repeat(10 * 1024 * 1024);
    events.emit({ type: 'turn', task: 'BAC-1', at: 1, turn: 1, stopReason: 'end_turn', text: huge });
    events.emit({
      type: 'tool-call',
      task: 'BAC-1',
      at: 2,
      tool: 'write',
      id: 't',
      input: { content: huge },
    });
    events.emit({
      type: 'tool-call',
      task: 'BAC-1',
      at: 3,
      tool: 'edit',
      id: 'u',
      input: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'])),
    });
    events.emit({ type: 'ended', task: 'BAC-1', at: 4, result: resultOf('BAC-1', { report: huge }) });
    await log.close();

    expect(fs.statSync(file).size).toBeLessThan(200 * 1024);
    const lines = readLines(file);
    expect(lines.map((e) => e.type)).toEqual(['turn', 'tool-call', 'tool-call', 'ended']);
    expect(lines[0]!.text).toBe(`${'r'.repeat(8_000)}… (${huge.length - 8_000} characters omitted)`);
    expect((lines[1]!.input as { content: string }).content).toMatch(/^r{8000}… \(\d+ characters omitted\)$/);
    expect(Object.keys(lines[2]!.input as object)).toHaveLength(201);
    expect((lines[2]!.input as Record<string, string>)['…']).toBe('… (4800 more fields omitted)');
    expect((lines[3]!.result as { report: string }).report).toMatch(/characters omitted\)$/);
  });

  it('logs only the type, task and time of an event that no cut brings under the line limit', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const events = new EventStream();
    const log = openAuditLog(events, file, []);
    const tree = (depth: number): unknown =>
      depth === 0
        ? 'w'.repeat(300)
        : Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, tree(depth - 1)]));
    events.emit({
      type: 'tool-call',
      task: 'BAC-1',
      at: 7,
      tool: 'x',
      id: 't',
      input: tree(4) as Record<string, unknown>,
    });
    await log.close();

    expect(readLines(file)).toEqual([
      {
        type: 'tool-call',
        task: 'BAC-1',
        at: 7,
        omitted: expect.stringMatching(/^… \(\d+ characters of this event omitted\)$/) as unknown,
      },
    ]);
  });

  it('redacts a secret in every form a tool could print it, before anything is cut', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const events = new EventStream();
    const secret = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
    const log = openAuditLog(events, file, [secret]);
    const basic = Buffer.from(`x-access-token:${secret}`).toString('base64');
    const outputs = [
      `plain ${secret}`,
      `json ${JSON.stringify({ token: JSON.stringify({ token: secret }) })}`,
      `url https://example.com/?t=${encodeURIComponent(`${secret}/&`)}`,
      `header AUTHORIZATION: basic ${basic}`,
      ...[0, 1, 2].map((pad) => `b64 ${Buffer.from(`${'x'.repeat(pad)}${secret}\n`).toString('base64')}`),
      `b64url ${Buffer.from(`>>${secret}??`).toString('base64url')}`,
      // A straddle: the secret sits across the point where the output is cut.
      `${'y'.repeat(7_990)}${secret}`,
    ];
    for (const [i, output] of outputs.entries()) {
      events.emit({
        type: 'tool-result',
        task: 'T',
        at: i,
        tool: 'bash',
        id: `${i}`,
        isError: false,
        output,
      });
    }
    await log.close();

    const text = fs.readFileSync(file, 'utf8');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    // The middle of the secret, in each form, at each alignment.
    const probes = [
      secret.slice(4, 36),
      ...[0, 1, 2].map((pad) => b64(`${'x'.repeat(pad)}${secret}`).slice(8, 40)),
    ];
    for (const probe of probes) expect(text).not.toContain(probe);
    expect(text).not.toContain(Buffer.from(secret).toString('base64url').slice(8, 40));
    expect(readLines(file)).toHaveLength(outputs.length);
  });

  it('keeps the run going when the disk is full, and says so on close', async () => {
    const events = new EventStream();
    const log = openAuditLog(events, '/dev/full', ['secret-value']);
    for (let i = 0; i < 100; i++) {
      events.emit({
        type: 'tool-result',
        task: 'T',
        at: i,
        tool: 'bash',
        id: `${i}`,
        isError: false,
        output: 'x',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.emit({ type: 'retry', task: 'T', at: 101, attempt: 1, reason: 'after the failure' });

    await expect(log.close()).rejects.toThrow(/^\/dev\/full: ENOSPC: no space left on device/);
  });

  it('keeps the run going when a file stands where its directory should be', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'results'), 'not a directory');
    const events = new EventStream();

    // Before, this threw at once and took the run (outputs, summary) down with it.
    const log = openAuditLog(events, path.join(dir, 'results', 'audit.jsonl'), []);
    events.emit({ type: 'retry', task: 'T', at: 1, attempt: 1, reason: 'r' });

    await expect(log.close()).rejects.toThrow(/results\/audit\.jsonl: EEXIST|ENOTDIR/);
  });
});

describe('the result files', () => {
  it('writes one redacted file per task', async () => {
    const dir = path.join(tempDir(), 'results');
    await writeResultFiles(
      dir,
      [resultOf('BAC-1', { report: 'uses sk-ant-secret-value' }), resultOf('BAC-2')],
      ['sk-ant-secret-value'],
    );

    expect(fs.readdirSync(dir).sort()).toEqual(['BAC-1.json', 'BAC-2.json']);
    const first = JSON.parse(fs.readFileSync(path.join(dir, 'BAC-1.json'), 'utf8')) as AgentResult;
    expect(first.report).toBe('uses ***');
    expect(first).toMatchObject({ id: 'BAC-1', status: 'succeeded', filesChanged: [] });
  });

  it('cuts a 10 MB report to 64 KB with a visible marker, after redacting it', async () => {
    const dir = tempDir();
    const secret = 'sk-ant-api03-straddle-0123456789';
    const report = `${'a'.repeat(64 * 1024 - 10)}${secret}${'b'.repeat(10 * 1024 * 1024)}`;
    await writeResultFiles(dir, [resultOf('BAC-1', { report, error: 'e'.repeat(100_000) })], [secret]);

    const text = fs.readFileSync(path.join(dir, 'BAC-1.json'), 'utf8');
    expect(text.length).toBeLessThan(100 * 1024);
    expect(text).not.toContain('sk-ant-api03');
    const written = JSON.parse(text) as AgentResult;
    expect(written.report).toMatch(/^a+\*\*\*b+… \(\d+ characters omitted\)$/);
    expect(written.report.length).toBeLessThan(64 * 1024 + 100);
    expect(written.error).toMatch(/^e{8192}… \(91808 characters omitted\)$/);
  });

  it('lists at most a thousand changed files, and fewer when the file would be too long', async () => {
    const dir = tempDir();
    const many = Array.from({ length: 5_000 }, (_, i) => `src/file-${i}.ts`);
    const long = Array.from({ length: 1_000 }, (_, i) => `${i}-${'d/'.repeat(500)}`);
    await writeResultFiles(
      dir,
      [resultOf('BAC-1', { filesChanged: many }), resultOf('BAC-2', { filesChanged: long })],
      [],
    );

    const first = JSON.parse(fs.readFileSync(path.join(dir, 'BAC-1.json'), 'utf8')) as AgentResult;
    expect(first.filesChanged).toHaveLength(1_001);
    expect(first.filesChanged.at(-1)).toBe('… (4000 more items omitted)');
    expect(fs.statSync(path.join(dir, 'BAC-2.json')).size).toBeLessThanOrEqual(256 * 1024);
  });

  it('writes every file it can, then names the ones that failed', async () => {
    const dir = tempDir();
    // A directory where BAC-2's file should be: that one write fails, the others must not.
    fs.mkdirSync(path.join(dir, 'BAC-2.json'));
    const results = ['BAC-1', 'BAC-2', 'BAC-3'].map((id) => resultOf(id));

    let caught: unknown;
    try {
      await writeResultFiles(dir, results, []);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ResultFilesError);
    expect((caught as ResultFilesError).failures).toEqual([
      { file: path.join(dir, 'BAC-2.json'), reason: expect.stringMatching(/^EISDIR/) as unknown },
    ]);
    expect((caught as Error).message).toMatch(/^1 result file could not be written: .*BAC-2\.json \(EISDIR/);
    expect(fs.existsSync(path.join(dir, 'BAC-1.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'BAC-3.json'))).toBe(true);
  });

  it('names every file when the directory itself cannot be made', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'results'), 'a file, not a directory');

    await expect(
      writeResultFiles(path.join(dir, 'results'), [resultOf('BAC-1'), resultOf('BAC-2')], []),
    ).rejects.toThrow(/^2 result files could not be written: .*BAC-1\.json \(EEXIST.*BAC-2\.json \(EEXIST/);
  });
});

describe('redactor', () => {
  it('leaves text without a secret alone, and ignores secrets too short to tell from text', () => {
    const redact = redactor(['abc', 'a-long-enough-secret']);
    expect(redact('abc abc')).toBe('abc abc');
    expect(redact('x a-long-enough-secret y')).toBe('x *** y');
  });

  it('redacts secrets with quotes, backslashes and non-ASCII characters, escaped once or twice', () => {
    const secret = 'p"a\\ss\u00e9-w0rd';
    const redact = redactor([secret]);
    const once = JSON.stringify({ v: secret });
    const twice = JSON.stringify({ v: once });
    expect(redact(once)).toBe('{"v":"***"}');
    expect(redact(twice)).toBe(JSON.stringify({ v: '{"v":"***"}' }));
    expect(redact(encodeURIComponent(secret))).toBe('***');
  });
});
