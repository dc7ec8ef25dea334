import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nextLimit, readLoad, watchLoad, type LimitStep, type LoadSample } from '../../src/agents/load.js';

const calm: LoadSample = { memoryAvailable: 0.8, memoryPressure: 0, cpuPressure: 0 };

/** A folder laid out as /proc is, with the files the kernel writes, in its formats. */
function procLike(
  availableKb: number,
  memorySome: number,
  cpuSome: number,
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proc-')),
) {
  fs.mkdirSync(path.join(dir, 'pressure'), { recursive: true });
  // Whole files at once, as the kernel's reads are: a reader never sees half of one.
  const write = (file: string, text: string) => {
    fs.writeFileSync(path.join(dir, `${file}.new`), text);
    fs.renameSync(path.join(dir, `${file}.new`), path.join(dir, file));
  };
  write(
    'meminfo',
    `MemTotal:       24683748 kB\nMemFree:         1000000 kB\nMemAvailable:   ${availableKb} kB\n`,
  );
  const psi = (some: number) =>
    `some avg10=${some.toFixed(2)} avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;
  write('pressure/memory', psi(memorySome));
  write('pressure/cpu', psi(cpuSome));
  return dir;
}

describe('readLoad', () => {
  it("reads memory and pressure in the kernel's formats", async () => {
    const load = await readLoad(procLike(2_468_374, 12.5, 95.89));
    expect(load.memoryAvailable).toBeCloseTo(0.1, 3);
    expect(load.memoryPressure).toBe(12.5);
    expect(load.cpuPressure).toBe(95.89);
  });

  it('reports null for what the machine does not have', async () => {
    expect(await readLoad(fs.mkdtempSync(path.join(os.tmpdir(), 'proc-')))).toEqual({
      memoryAvailable: null,
      memoryPressure: null,
      cpuPressure: null,
    });
  });

  it('reads this machine without failing', async () => {
    const load = await readLoad();
    expect(load.memoryAvailable === null || (load.memoryAvailable > 0 && load.memoryAvailable <= 1)).toBe(
      true,
    );
  });
});

describe('nextLimit', () => {
  it('halves the limit when memory runs short or tasks wait for it, saying why', () => {
    expect(nextLimit(8, 8, { ...calm, memoryAvailable: 0.05 }, false)).toEqual({
      limit: 4,
      reason: 'memory is short (5 % available)',
    });
    expect(nextLimit(8, 8, { ...calm, memoryPressure: 30 }, false)).toEqual({
      limit: 4,
      reason: 'tasks wait for memory 30 % of the time',
    });
    expect(nextLimit(1, 8, { ...calm, memoryPressure: 30 }, false)).toEqual({ limit: 1, reason: '' });
  });

  it('reads CPU waits only while the repository commands run: agents waiting on the model need none', () => {
    const busy = { ...calm, cpuPressure: 96 };
    expect(nextLimit(8, 8, busy, false)).toEqual({ limit: 8, reason: '' });
    expect(nextLimit(8, 8, busy, true).limit).toBe(4);
  });

  it('climbs back one at a time once every figure is under its lower line, never past the maximum', () => {
    expect(nextLimit(4, 8, calm, true)).toEqual({ limit: 5, reason: 'the runner has room again' });
    expect(nextLimit(8, 8, calm, true)).toEqual({ limit: 8, reason: '' });
    // Between the lines: neither squeezed nor free, so it stays.
    expect(nextLimit(4, 8, { ...calm, memoryAvailable: 0.15 }, false)).toEqual({ limit: 4, reason: '' });
  });
});

describe('watchLoad', () => {
  it('drops the limit under a memory squeeze and brings it back to the maximum once it passes', async () => {
    const dir = procLike(20_000_000, 0, 0);
    const steps: LimitStep[] = [];
    const watch = watchLoad({
      max: 4,
      intervalMs: 20,
      holdMs: 0,
      read: () => readLoad(dir),
      commandsRunning: () => false,
      onChange: (step) => steps.push(step),
    });
    try {
      procLike(1_000_000, 40, 0, dir);
      await until(() => steps.at(-1)?.limit === 1);
      procLike(20_000_000, 0, 0, dir);
      await until(() => steps.at(-1)?.limit === 4);
    } finally {
      watch.stop();
    }
    expect(steps.map((s) => s.limit)).toEqual([2, 1, 2, 3, 4]);
    expect(steps[0]?.reason).toMatch(/^memory is short \(4 % available\)$/);
  });

  it('holds off a second drop while the first has yet to show in the averages', async () => {
    const dir = procLike(1_000_000, 40, 0);
    const steps: LimitStep[] = [];
    const watch = watchLoad({
      max: 8,
      intervalMs: 10,
      read: () => readLoad(dir),
      commandsRunning: () => false,
      onChange: (step) => steps.push(step),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    watch.stop();
    expect(steps.map((s) => s.limit)).toEqual([4]);
  });
});

async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
