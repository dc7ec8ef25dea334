import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-loadE2EsecretKey0123456789abc';
/**
 * The load is read every 2 s: the drop comes at the first reading after the squeeze, the climb at the next. Agents
 * of 1.2 s each start at most five times before the climb, so two are left to run together after it.
 */
const TASKS = ['BAC-1', 'BAC-2', 'BAC-3', 'BAC-4', 'BAC-5', 'BAC-6', 'BAC-7'];

/** The kernel's files the load watcher reads, as the test sets them: one sample, every file the same length. */
function sample(availableKb: number, memorySome: number): Record<string, string> {
  const kb = String(availableKb).padStart(8);
  const psi = (some: number) =>
    `some avg10=${some.toFixed(2).padStart(5, '0')} avg60=0.00 avg300=0.00 total=1\n` +
    'full avg10=00.00 avg60=0.00 avg300=0.00 total=0\n';
  return {
    meminfo: `MemTotal:       10000000 kB\nMemFree:         ${kb} kB\nMemAvailable:    ${kb} kB\n`,
    'pressure/memory': psi(memorySome),
    'pressure/cpu': psi(0),
  };
}
const HEALTHY = sample(8_000_000, 0);
const SQUEEZED = sample(500_000, 40);

/**
 * Writes a sample over the files in place: a bind mount shows the file it was made on, so the files are rewritten,
 * not replaced, and at a length that never changes, so the action never reads half of one.
 */
function write(dir: string, files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) {
    const fd = fs.openSync(path.join(dir, name), 'r+');
    fs.writeSync(fd, text, 0);
    fs.closeSync(fd);
  }
}

/**
 * Runs the action in a mount namespace of its own where the test's files stand for the kernel's. Through bash, not
 * sh: dash drops variables whose names hold a dash, as `INPUT_ANTHROPIC-API-KEY` does.
 */
function underProc(dir: string): string[] {
  const binds = Object.keys(HEALTHY)
    .map((name) => `mount --bind ${path.join(dir, name)} /proc/${name}`)
    .join(' && ');
  return ['unshare', '-m', 'bash', '-c', `${binds} && exec "$@"`, 'bash'];
}

// The bind mounts need root, as on this project's CI; a kernel without pressure figures has no file to mount over.
const canMount = process.getuid?.() === 0 && fs.existsSync('/proc/pressure/memory');

let model: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  const scripts: Scripts = Object.fromEntries(
    TASKS.map((id) => [id, [{ text: `Done ${id}.`, latencyMs: 1_200 }]]),
  );
  model = await startMessagesServer({ scripts });
});
afterAll(() => model.close());

type AuditEvent = {
  type: string;
  task?: string;
  limit?: number;
  reason?: string;
  result?: { status: string };
};

(canMount ? describe : describe.skip)(
  'agents at once follow the runner’s load, through the built action',
  () => {
    it('drops under a memory squeeze, saying why, and climbs back once memory is free', async () => {
      const proc = tempDir('pa-proc-');
      fs.mkdirSync(path.join(proc, 'pressure'));
      for (const [name, text] of Object.entries(HEALTHY)) fs.writeFileSync(path.join(proc, name), text);
      const workspace = makeRepo({ 'README.md': '# Gateway\n' });

      // Squeezed from the first agent's start; free again once an agent has started under the lowered limit.
      let dropped = false;
      let freed = false;
      const run = await runAction({
        workspace,
        prefix: underProc(proc),
        inputs: {
          'anthropic-api-key': API_KEY,
          'anthropic-base-url': model.url,
          'max-concurrency': '2',
          tasks: TASKS.map((id) => `- ${id}: Task ${id}`).join('\n'),
        },
        onLine: (line) => {
          if (/^\[BAC-\d\] started/.test(line) && !dropped && !freed) write(proc, SQUEEZED);
          if (line.startsWith('[runner] memory is short')) dropped = true;
          else if (dropped && !freed && /^\[BAC-\d\] started/.test(line)) {
            freed = true;
            write(proc, HEALTHY);
          }
        },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('[runner] memory is short (5 % available): 1 agent at once');
      expect(run.stdout).toContain('[runner] the runner has room again: 2 agents at once');

      const events = fs
        .readFileSync(path.join(workspace, 'parallel-agents-results/run-local-1/audit.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditEvent);
      const drop = events.findIndex((e) => e.type === 'concurrency' && e.limit === 1);
      const climb = events.findIndex((e, i) => i > drop && e.type === 'concurrency' && e.limit === 2);
      expect(events[drop]?.reason).toBe('memory is short (5 % available)');
      expect(events[climb]?.reason).toBe('the runner has room again');

      // Agents running at once, as the events tell it: while the limit was 1, an agent started only once none ran.
      let running = 0;
      const startedAt: number[] = [];
      const peakAfterClimb: number[] = [];
      events.forEach((e, i) => {
        if (e.type === 'started') {
          if (i > drop && i < climb) startedAt.push(running);
          running++;
          if (i > climb) peakAfterClimb.push(running);
        } else if (e.type === 'ended') running--;
      });
      expect(startedAt.length).toBeGreaterThan(0);
      expect(startedAt.every((n) => n === 0)).toBe(true);
      // Back to two at once once memory was free again.
      expect(Math.max(...peakAfterClimb)).toBe(2);
      const ended = events.filter((e) => e.type === 'ended');
      expect(ended.map((e) => e.task).sort()).toEqual(TASKS);
      expect(ended.every((e) => e.result?.status === 'succeeded')).toBe(true);
    });
  },
);
