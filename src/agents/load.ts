import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** What the kernel says of the runner's load: each figure null where the machine does not report it. */
export interface LoadSample {
  /** MemAvailable / MemTotal, from `meminfo`. */
  memoryAvailable: number | null;
  /** Share of the last 10 s in which some task waited for memory (`pressure/memory`, `some avg10`), in percent. */
  memoryPressure: number | null;
  /** Share of the last 10 s in which some task waited for a CPU (`pressure/cpu`, `some avg10`), in percent. */
  cpuPressure: number | null;
}

/** When the runner counts as squeezed, and when as free again (lower, so the limit does not flap). */
const LOAD_LIMITS = {
  /** Below this share of memory available, fewer agents run. */
  memoryAvailableLow: 0.1,
  memoryAvailableOk: 0.2,
  memoryPressureHigh: 10,
  memoryPressureOk: 2,
  /** CPU waits count only while the repository's own commands run: agents waiting on the model need no CPU. */
  cpuPressureHigh: 80,
  cpuPressureOk: 40,
} as const;

/** Reads a sample from `procRoot` (`/proc`): files in the kernel's own formats. */
export async function readLoad(procRoot = '/proc'): Promise<LoadSample> {
  const text = (file: string) => readFile(path.join(procRoot, file), 'utf8').catch(() => '');
  const [meminfo, memory, cpu] = await Promise.all([
    text('meminfo'),
    text('pressure/memory'),
    text('pressure/cpu'),
  ]);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? NaN);
  const ratio = kb('MemAvailable') / kb('MemTotal');
  return {
    memoryAvailable: Number.isFinite(ratio) ? ratio : null,
    memoryPressure: someAvg10(memory),
    cpuPressure: someAvg10(cpu),
  };
}

function someAvg10(text: string): number | null {
  const value = Number(/^some avg10=([\d.]+)/m.exec(text)?.[1] ?? NaN);
  return Number.isFinite(value) ? value : null;
}

/** The limit's next value and why it changed; `reason` is empty when it did not. */
export interface LimitStep {
  limit: number;
  reason: string;
}

/**
 * One step of the agents-at-once limit: halved (never below 1) when memory runs short, the kernel says tasks wait
 * for memory, or — while the repository's commands run — for a CPU; raised by one, up to `max`, once every figure is
 * back under its lower line; otherwise left as it is.
 */
export function nextLimit(
  current: number,
  max: number,
  load: LoadSample,
  commandsRunning: boolean,
): LimitStep {
  const l = LOAD_LIMITS;
  const squeeze =
    load.memoryAvailable !== null && load.memoryAvailable < l.memoryAvailableLow
      ? `memory is short (${percent(load.memoryAvailable * 100)} available)`
      : load.memoryPressure !== null && load.memoryPressure > l.memoryPressureHigh
        ? `tasks wait for memory ${percent(load.memoryPressure)} of the time`
        : commandsRunning && load.cpuPressure !== null && load.cpuPressure > l.cpuPressureHigh
          ? `tasks wait for a CPU ${percent(load.cpuPressure)} of the time while commands run`
          : '';
  if (squeeze) {
    const limit = Math.max(1, Math.floor(current / 2));
    return { limit, reason: limit < current ? squeeze : '' };
  }
  const free =
    (load.memoryAvailable === null || load.memoryAvailable >= l.memoryAvailableOk) &&
    (load.memoryPressure === null || load.memoryPressure <= l.memoryPressureOk) &&
    (!commandsRunning || load.cpuPressure === null || load.cpuPressure <= l.cpuPressureOk);
  if (free && current < max) return { limit: current + 1, reason: 'the runner has room again' };
  return { limit: current, reason: '' };
}

function percent(value: number): string {
  return `${value.toFixed(0)} %`;
}

export interface LoadWatch {
  stop(): void;
}

/**
 * Samples the load every `intervalMs` and calls `onChange` with each new limit and its reason. Its timer never keeps
 * the process alive, and a sample that fails to read changes nothing.
 */
export function watchLoad(options: {
  max: number;
  intervalMs: number;
  /** How long after a drop the next may come; 10 s by default. */
  holdMs?: number;
  read: () => Promise<LoadSample>;
  commandsRunning: () => boolean;
  onChange: (step: LimitStep) => void;
}): LoadWatch {
  let limit = options.max;
  let busy = false;
  // A pressure figure is a 10 s average: after a drop, it needs that long to show whether the drop was enough.
  let heldUntil = 0;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void options
      .read()
      .then((load) => {
        const step = nextLimit(limit, options.max, load, options.commandsRunning());
        if (step.limit === limit || (step.limit < limit && Date.now() < heldUntil)) return;
        if (step.limit < limit) heldUntil = Date.now() + (options.holdMs ?? 10_000);
        limit = step.limit;
        options.onChange(step);
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
