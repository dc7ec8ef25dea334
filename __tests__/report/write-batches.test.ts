import { execFile } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeBatches } from '../../src/report/write-batches.js';

const execFileAsync = promisify(execFile);

/** A stream that records each write call it gets: one chunk, or several at once. */
function recorder() {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

describe('writeBatches', () => {
  it('lets a burst of writes out together, in order, once the time is up', async () => {
    const { stream, calls } = recorder();
    const batches = writeBatches(stream, 30);
    for (const line of ['a\n', 'b\n', 'c\n']) {
      batches.hold();
      stream.write(line);
    }
    await sleep(5);
    expect(calls).toEqual([]);

    await sleep(60);
    expect(calls).toEqual([['a\n', 'b\n', 'c\n']]);

    // The next write starts a batch of its own.
    batches.hold();
    stream.write('d\n');
    await sleep(60);
    expect(calls).toEqual([['a\n', 'b\n', 'c\n'], ['d\n']]);
  });

  it('lets everything held out at once on flush, and a flush with nothing held does nothing', async () => {
    const { stream, calls } = recorder();
    const batches = writeBatches(stream, 10_000);
    batches.flush();
    batches.hold();
    stream.write('a\n');
    batches.hold();
    stream.write('b\n');
    batches.flush();
    await sleep(5);
    expect(calls).toEqual([['a\n', 'b\n']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('keeps no process alive while it holds writes, and what it holds still goes out at exit', async () => {
    // A process that holds its stdout for ten seconds, as the live log does, flushing on exit.
    const script = [
      `import { writeBatches } from ${JSON.stringify(path.resolve('src/report/write-batches.ts'))};`,
      'const batches = writeBatches(process.stdout, 10_000);',
      "process.once('exit', batches.flush);",
      'batches.hold();',
      "process.stdout.write('held\\n');",
    ].join('\n');
    const started = Date.now();
    const { stdout } = await execFileAsync(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(stdout).toBe('held\n');
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
