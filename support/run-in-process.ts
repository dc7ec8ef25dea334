import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../src/main.js';
import type { Reporter } from '../src/run.js';
import { tempDir } from './git-repo.js';
import { examplePayload, parseOutputFile, type ActionOptions } from './run-action.js';

export interface InProcessRun {
  /** The step's exit code as the runner would see it: 1 after `setFailed`. */
  code: number;
  stdout: string;
  summary: string;
  outputs: Record<string, string>;
}

export interface InProcessOptions extends Pick<ActionOptions, 'inputs' | 'workspace' | 'event' | 'env'> {
  reporters?: Reporter[];
  /** Stands in for the process: emit `SIGINT` on it to cancel the run. */
  signals?: EventEmitter;
  /** Called with each line the action prints, as it prints it. */
  onLine?: (line: string) => void;
}

/**
 * The action's `run()` in this process, with the runner's contract set up around it as `runAction` does for the
 * built file: `INPUT_*` variables, the event in `GITHUB_EVENT_PATH`, and the summary and output files it writes.
 * The environment and the exit code are put back afterwards.
 */
export async function runInProcess(options: InProcessOptions): Promise<InProcessRun> {
  const dir = tempDir('pa-runner-');
  const summaryPath = path.join(dir, 'summary.md');
  const outputPath = path.join(dir, 'output.txt');
  const eventPath = path.join(dir, 'event.json');
  fs.writeFileSync(summaryPath, '');
  fs.writeFileSync(outputPath, '');
  const event = options.event ?? { name: 'workflow_dispatch', payload: examplePayload('workflow_dispatch') };
  fs.writeFileSync(eventPath, JSON.stringify(event.payload));

  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
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
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('INPUT_') || name.startsWith('GITHUB_')) delete process.env[name];
  }
  Object.assign(process.env, env);

  let stdout = '';
  let pending = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    stdout += text;
    if (options.onLine) {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    }
    return true;
  }) as typeof process.stdout.write;
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    process.chdir(options.workspace);
    await run({ signals: options.signals ?? new EventEmitter(), reporters: options.reporters });
    return {
      code: Number(process.exitCode ?? 0),
      stdout,
      summary: fs.readFileSync(summaryPath, 'utf8'),
      outputs: parseOutputFile(fs.readFileSync(outputPath, 'utf8')),
    };
  } finally {
    process.stdout.write = write;
    process.exitCode = exitCode;
    process.chdir(savedCwd);
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}
