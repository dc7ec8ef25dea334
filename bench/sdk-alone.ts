// The model SDK by itself on a bench workload, in a process of its own as the action is: each task one conversation
// through the SDK's tool runner with its Node toolset (the action's default tools) in a directory of its own, the
// action's system prompt, streaming; no git, no worktrees, no events, nothing else of the action. What any agent built
// on the SDK pays on this machine, so that the bench can show how much of the action's overhead is the action's.
//
// Usage: sdk-alone.ts <server url> <concurrency> <task id>...
// Prints one JSON line: each task's start and end (epoch ms) and the process's CPU time once its modules were loaded.
import Anthropic from '@anthropic-ai/sdk';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemPrompt } from '../src/model/prompt.js';

const [url = '', concurrency = '1', ...ids] = process.argv.slice(2);
const TOOLS = ['read', 'write', 'edit', 'glob', 'grep'];
const client = new Anthropic({ apiKey: 'bench', baseURL: url, openTelemetry: false });
const system = systemPrompt('', '');

const cpuBefore = process.cpuUsage();
const runs: { id: string; startedAt: number; endedAt: number }[] = [];

async function agent(id: string): Promise<void> {
  const startedAt = Date.now();
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-bench-sdk-'));
  fs.writeFileSync(path.join(workdir, 'README.md'), '# Bench\n');
  fs.mkdirSync(path.join(workdir, 'notes'));
  const runner = client.beta.messages.toolRunner({
    model: 'claude-sonnet-4-6',
    max_tokens: 16_000,
    max_iterations: 40,
    stream: true,
    system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
    tools: betaAgentToolset20260401({ workdir, env: {} }).filter((tool) => TOOLS.includes(tool.name)),
    messages: [{ role: 'user', content: `Task ${id}. Read, write a note, report.` }],
  });
  for await (const stream of runner) for await (const event of stream) void event;
  runs.push({ id, startedAt, endedAt: Date.now() });
  fs.rmSync(workdir, { recursive: true, force: true });
}

let next = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < ids.length) await agent(ids[next++]!);
  }),
);
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ runs, cpuMs: (cpu.user + cpu.system) / 1000 }));
