import type { AgentResult } from '../../src/result.js';
import type { Task } from '../../src/tasks/task.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { Scripts } from '../../support/script.js';

const CONTEXT = 'The gateway routes each request to a provider by the model prefix. '.repeat(60);

async function tenAgents(threads: boolean): Promise<{ results: AgentResult[]; writes: number[] }> {
  const scripts: Scripts = {};
  const tasks: Task[] = [];
  for (let i = 1; i <= 10; i++) {
    const id = `PC-${i}`;
    tasks.push(taskOf(id, { prompt: `Do task ${i}.` }));
    scripts[id] = [
      { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 20 },
      { tools: [{ name: 'grep', input: { pattern: 'Cache' } }], latencyMs: 20 },
      { text: `Done ${id}.`, latencyMs: 20 },
    ];
  }
  const server = await startMessagesServer({ scripts, threads });
  try {
    const results = await runAgentsAgainst(server.url, tasks, { context: CONTEXT });
    const writes = server.requests
      .filter((r) => r.status === 200 && r.turn === 0)
      .map((r) => r.usage?.cache_creation_input_tokens ?? 0);
    return { results, writes };
  } finally {
    await server.close();
  }
}

function cachedShare(results: AgentResult[]): number {
  const read = results.reduce((n, r) => n + r.usage.cacheRead, 0);
  const all = results.reduce((n, r) => n + r.usage.input + r.usage.cacheWrite + r.usage.cacheRead, 0);
  return read / all;
}

describe('the prompt cache in a 10-agent run', () => {
  it.each([
    ['server-held threads', true],
    ['full-history requests (an endpoint that refuses threads)', false],
  ])('serves at least 80 %% of input tokens from the cache over %s', async (_, threads) => {
    const { results, writes } = await tenAgents(threads);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(cachedShare(results)).toBeGreaterThanOrEqual(0.8);
    // The shared prefix (tools and system prompt) is written once, by the first agent, and read by the other nine.
    expect(writes.filter((w) => w > 1000)).toHaveLength(1);
  });
});
