import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { tempDir } from './git-repo.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist/index.js');

type WebhookExamples = { name: string; examples: Record<string, unknown>[] }[];

/**
 * A real webhook payload of `event` from @octokit/webhooks-examples: the first, the one at an index, or the first
 * whose `action` is the one named.
 */
export function examplePayload(event: string, which: number | string = 0): Record<string, unknown> {
  const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookExamples;
  const all = examples.find((e) => e.name === event)?.examples ?? [];
  const payload = typeof which === 'number' ? all[which] : all.find((p) => p.action === which);
  if (!payload) throw new Error(`no example payload for ${event} (${which})`);
  return structuredClone(payload);
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

export interface ActionOptions {
  inputs: Record<string, string>;
  workspace: string;
  event?: { name: string; payload: Record<string, unknown> };
  env?: Record<string, string>;
  /** Called with each line the action prints, as it prints it. */
  onLine?: (line: string) => void;
  /** The bundle to run; `dist/index.js` by default. */
  dist?: string;
  /** Called with the child once it is spawned (to send it signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  /** A command the action runs under (`unshare -m sh -c '…' sh`): it gets `node dist/index.js` as its last words. */
  prefix?: string[];
}

/**
 * Runs the built action the way the runner does: `node dist/index.js` with `INPUT_*` variables, the event payload in
 * `GITHUB_EVENT_PATH`, and `GITHUB_STEP_SUMMARY` / `GITHUB_OUTPUT` files it writes to.
 */
export async function runAction(options: ActionOptions): Promise<ActionRun> {
  const dir = tempDir('pa-runner-');
  const summaryPath = path.join(dir, 'summary.md');
  const outputPath = path.join(dir, 'output.txt');
  const eventPath = path.join(dir, 'event.json');
  fs.writeFileSync(summaryPath, '');
  fs.writeFileSync(outputPath, '');
  const event = options.event ?? { name: 'workflow_dispatch', payload: examplePayload('workflow_dispatch') };
  fs.writeFileSync(eventPath, JSON.stringify(event.payload));

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: 'octo-org/gateway',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: path.join(dir, 'runner-temp'),
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }

  const started = Date.now();
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, options.dist ?? DIST];
  const child = spawn(command!, args, { cwd: options.workspace, env });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (!options.onLine) return;
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  return {
    code,
    signal,
    stdout,
    stderr,
    summary: fs.readFileSync(summaryPath, 'utf8'),
    outputs: parseOutputFile(fs.readFileSync(outputPath, 'utf8')),
    ms: Date.now() - started,
  };
}

/**
 * What `download-artifact` with `merge-multiple: true` makes of the shards' artifacts (each a `results-dir`): one
 * folder, side by side.
 */
export function downloaded(dirs: readonly string[]): string {
  const merged = tempDir('pa-artifacts-');
  for (const dir of dirs) fs.cpSync(dir, merged, { recursive: true });
  return merged;
}

/** The `name<<delimiter` … `delimiter` records that `@actions/core` writes to `GITHUB_OUTPUT`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!head) continue;
    const [, name, delimiter] = head;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}
