import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { runAgent } from '../../src/agents/agent.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { probeSandbox, sandboxedBashTool } from '../../src/sandbox/sandbox.js';
import { makeShellCgroup } from '../../src/sandbox/cgroup.js';
import type { ShellLimits } from '../../src/sandbox/limits.js';
import { shellEnvironment } from '../../src/sandbox/shell-env.js';
import { Workspace, type Worktree } from '../../src/git/workspace.js';
import { EventStream } from '../../src/events.js';
import type { AgentResult } from '../../src/result.js';
import { git, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';

/** Small, so that the tests reach them quickly. */
const LIMITS: ShellLimits = { memoryMb: 256, processes: 64, tmpMb: 16, diskMb: 8 };

let bwrap: string;
beforeAll(async () => {
  const probe = await probeSandbox();
  if (!probe.available) throw new Error(`these tests need a working bwrap: ${probe.reason}`);
  bwrap = probe.bwrap;
  // Without a control group the fork bomb would reach every process of this machine: refuse to run it at all.
  const cgroup = await makeShellCgroup({ memoryBytes: 64 * 1024 * 1024, processes: 8 });
  if (!cgroup) throw new Error('these tests need a control group for memory and processes (cgroup v1 or v2)');
  await cgroup.remove();
});

function workspace(): Workspace {
  const repo = makeRepo({ 'README.md': '# demo\n' });
  return new Workspace({ repo, root: path.join(tempDir('pa-limits-'), 'worktrees') });
}

function shell(worktree: Worktree, stops: string[] = [], limits = LIMITS): BetaRunnableTool {
  const home = tempDir('pa-home-');
  return sandboxedBashTool({
    bwrap,
    network: false,
    worktree,
    home,
    env: shellEnvironment(process.env, home),
    limits,
    onLimit: (reason) => stops.push(reason),
  });
}

async function call(tool: BetaRunnableTool, input: Record<string, unknown>) {
  try {
    return { isError: false, output: String(await tool.run(input)) };
  } catch (error) {
    return { isError: true, output: error instanceof ToolError ? String(error.content) : String(error) };
  }
}

describe("an agent's shell within its limits", () => {
  it('fails the command that fills /tmp, not the shell nor the process running it', async () => {
    const worktree = await workspace().create({ id: 'BAC-1', title: 'Tmp' });
    const stops: string[] = [];
    const tool = shell(worktree, stops);

    const filled = await call(tool, { command: 'head -c 64M /dev/zero > /tmp/big' });
    const after = await call(tool, { command: 'du -m /tmp/big | cut -f1; rm /tmp/big; echo still here' });
    await tool.close?.();

    expect(filled.isError).toBe(true);
    expect(filled.output).toContain('No space left on device');
    expect(after.isError).toBe(false);
    expect(Number(after.output.split('\n')[0])).toBeLessThanOrEqual(LIMITS.tmpMb);
    expect(after.output).toContain('still here');
    expect(stops).toEqual([]);
  });

  it('stops the shell that goes past its memory, and says so', async () => {
    const worktree = await workspace().create({ id: 'BAC-1', title: 'Memory' });
    const stops: string[] = [];
    // Lower still, so that the shell reaches it sooner.
    const tool = shell(worktree, stops, { ...LIMITS, memoryMb: 64 });

    // `tail` holds all it reads: 200 MB, past the shell's 64.
    const result = await call(tool, { command: 'head -c 200M /dev/zero | tail -c 200M | wc -c' });
    const later = await call(tool, { command: 'echo again' });
    await tool.close?.();

    const reason =
      'stopped: the shell went past its memory limit (agent-memory-mb: 64) and the kernel killed a process in it';
    expect(result).toEqual({ isError: true, output: `bash: ${reason}` });
    expect(later).toEqual({ isError: true, output: `bash: ${reason}` });
    expect(stops).toEqual([reason]);
  });
});

describe('agents with limits', () => {
  let server: MessagesServer;
  beforeAll(async () => {
    server = await startMessagesServer();
  });
  afterAll(() => server.close());

  function agent(ws: Workspace, id: string, title: string): Promise<AgentResult> {
    return runAgent({
      client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
      task: { id, title, prompt: 'work', dependsOn: [], paths: [] },
      system: systemPrompt('', ''),
      model: 'claude-sonnet-4-6',
      maxTurns: 5,
      timeoutMs: 60_000,
      tools: ['bash'],
      workspace: {
        create: (task) => ws.create(task),
        commit: (tree, message) => ws.commit(tree, message),
        push: async () => ({ pushed: false, reason: 'no origin here' }),
        remove: (tree) => ws.remove(tree),
      },
      events: new EventStream(),
      homeRoot: tempDir('pa-homes-'),
      shell: { sandbox: 'bwrap', bwrap, network: false, limits: LIMITS },
    });
  }

  it("keeps a fork bomb to its own agent: that one fails, saying why, and the other's work is committed", async () => {
    const ws = workspace();
    // A bomb of bounded depth (about a thousand processes): never more than that, even if no limit held it. It meets
    // the limit of 64 within its first moments; then bash retries its forks until the call's timeout ends it, 5 s on:
    // late enough that its processes are still there to be killed when its control group is removed.
    const bomb =
      'bomb() { if [ "$1" -gt 0 ]; then bomb $(($1-1)) & bomb $(($1-1)) & wait; else sleep 20; fi; }; bomb 9';
    server.setScripts({
      'BAC-1': [
        { tools: [{ name: 'bash', input: { command: bomb, timeout_ms: 5000 } }] },
        { text: 'Bombed.' },
      ],
      'BAC-2': [
        {
          tools: [
            { name: 'bash', input: { command: 'sleep 2; echo edited >> README.md; git status --short' } },
          ],
        },
        { text: 'Edited.' },
      ],
    });
    const [bombed, edited] = await Promise.all([agent(ws, 'BAC-1', 'Bomb'), agent(ws, 'BAC-2', 'Edit')]);

    expect(bombed).toMatchObject({
      status: 'failed',
      error: 'stopped: the shell tried to run more processes at once than agent-processes allows (64)',
    });
    expect(edited).toMatchObject({ status: 'succeeded', filesChanged: ['README.md'] });
    expect(git(ws.repo, 'show', `${edited.commit}:README.md`)).toBe('# demo\nedited');
  });

  it('fails the agent that writes past its disk limit, naming the limit, while the other goes on', async () => {
    const ws = workspace();
    server.setScripts({
      'BAC-1': [
        { tools: [{ name: 'bash', input: { command: 'head -c 20M /dev/urandom > junk.bin' } }] },
        { tools: [{ name: 'bash', input: { command: 'echo more > more.txt' } }] },
        { text: 'Wrote it.' },
      ],
      'BAC-2': [
        { tools: [{ name: 'bash', input: { command: 'echo small > small.txt' } }] },
        { text: 'Wrote a little.' },
      ],
    });
    const [past, within] = await Promise.all([agent(ws, 'BAC-1', 'Junk'), agent(ws, 'BAC-2', 'Small')]);

    expect(past).toMatchObject({ status: 'failed' });
    expect(past.error).toMatch(/^stopped: the shell wrote 2\d MB to disk, past agent-disk-mb \(8\)$/);
    // Stopped at once: the model was not asked for its next call.
    expect(fs.existsSync(path.join(ws.root, 'bac-1', 'more.txt'))).toBe(false);
    expect(within).toMatchObject({ status: 'succeeded', filesChanged: ['small.txt'] });
  });
});
