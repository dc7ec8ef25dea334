import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaGlobTool } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import { runAgent } from '../../src/agents/agent.js';
import { globTool } from '../../src/tools/glob.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { Workspace } from '../../src/git/workspace.js';
import { EventStream } from '../../src/events.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer } from '../../support/messages-server.js';

// Each alone keeps the SDK's glob on the main thread busy for minutes: a huge brace expansion, and an extglob that
// backtracks on a long directory name.
const BRACES = '{1..100000}/*';
const BACKTRACKING = '+(a|aa)+(a|aa)+(a|aa)+(a|aa)+(a|aa)+(a|aa)+(a|aa)+(a|aa)b/*';

/** A small tree with what the glob must skip (.git, node_modules, a link out) and a long name to backtrack on. */
function tree(): string {
  const outside = tempDir('pa-glob-outside-');
  fs.writeFileSync(path.join(outside, 'secret.ts'), 'outside\n');
  const root = tempDir('pa-glob-');
  const files = {
    'src/a.ts': '',
    'src/b.ts': '',
    'src/deep/c.ts': '',
    'docs/readme.md': '',
    'node_modules/dep/index.ts': '',
    '.git/HEAD': '',
    [`${'a'.repeat(80)}/x.ts`]: '',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
  // Distinct mtimes, so "newest first" has one answer.
  Object.keys(files).forEach((name, i) => fs.utimesSync(path.join(root, name), 1_000_000 + i, 1_000_000 + i));
  fs.symlinkSync(outside, path.join(root, 'link-out'));
  return root;
}

async function call(tool: BetaRunnableTool, input: Record<string, unknown>, signal?: AbortSignal) {
  try {
    const context = { toolUse: { id: 't', name: 'glob', input, type: 'tool_use' }, signal } as never;
    return { isError: false, output: String(await tool.run(input, context)) };
  } catch (error) {
    return { isError: true, output: error instanceof ToolError ? String(error.content) : String(error) };
  }
}

/** The longest the event loop was held up while `work` ran, in ms. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    await work();
  } finally {
    delay.disable();
  }
  return delay.max / 1e6;
}

describe('the glob tool', () => {
  it("answers as the SDK's glob does, errors included", async () => {
    const root = tree();
    const ours = globTool({ workdir: root });
    const sdk = betaGlobTool({ workdir: root });
    const inputs = [
      { pattern: '**/*.ts' },
      { pattern: 'src/*' },
      { pattern: '*.ts', path: 'src/deep' },
      { pattern: '{src,docs}/**/*' },
      { pattern: 'link-out/*' },
      { pattern: 'nothing-*' },
      { pattern: '' },
      { pattern: '/etc/*' },
      { pattern: '../*' },
      { pattern: 'src/{a,..}/*' },
      { pattern: '*', path: '../' },
    ];
    for (const input of inputs)
      expect([input, await call(ours, input)]).toEqual([input, await call(sdk, input)]);

    const { run: _r1, parse: _p1, ...definition } = ours;
    const { run: _r2, parse: _p2, ...sdkDefinition } = sdk;
    expect(definition).toEqual(sdkDefinition);
    expect((await call(ours, { pattern: '**/*.ts' })).output.split('\n')).toEqual([
      path.join(root, 'a'.repeat(80), 'x.ts'),
      path.join(root, 'src/deep/c.ts'),
      path.join(root, 'src/b.ts'),
      path.join(root, 'src/a.ts'),
    ]);
  });

  it('never holds up the event loop while hostile patterns run, and stops them at its timeout', async () => {
    const root = tree();
    const tool = globTool({ workdir: root, timeoutMs: 2000 });
    let results: unknown[] = [];
    const started = Date.now();
    const stall = await longestStall(async () => {
      results = await Promise.all([call(tool, { pattern: BRACES }), call(tool, { pattern: BACKTRACKING })]);
    });

    expect(results).toEqual([
      { isError: true, output: 'glob: timed out after 2s; narrow the pattern' },
      { isError: true, output: 'glob: timed out after 2s; narrow the pattern' },
    ]);
    expect(Date.now() - started).toBeLessThan(4000);
    // A glob on this thread would hold it until the timeout (2 s); a busy machine running the whole suite holds a
    // free thread a few hundred ms at worst (seen: 0.56 s), so the line is drawn at half the timeout.
    expect(stall).toBeLessThan(1000);
  });

  it('stops a glob when its call is aborted', async () => {
    const tool = globTool({ workdir: tree() });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const started = Date.now();
    expect(await call(tool, { pattern: BRACES }, abort.signal)).toEqual({
      isError: true,
      output: 'glob: aborted',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("keeps an agent's run responsive through a hostile glob, and stops the glob with the agent", async () => {
    const server = await startMessagesServer({
      scripts: { 'BAC-9': [{ tools: [{ name: 'glob', input: { pattern: BRACES } }] }, { text: 'Done.' }] },
    });
    try {
      const repo = makeRepo({ 'README.md': '# Globbed\n' });
      let status = '';
      const stall = await longestStall(async () => {
        const result = await runAgent({
          client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
          task: { id: 'BAC-9', title: 'Glob', prompt: 'look around', dependsOn: [], paths: [] },
          system: systemPrompt('', ''),
          model: 'claude-sonnet-4-6',
          maxTurns: 5,
          timeoutMs: 1500,
          tools: ['glob'],
          workspace: new Workspace({ repo, root: path.join(tempDir(), 'worktrees') }),
          events: new EventStream(),
        });
        status = result.status;
        expect(result.seconds).toBeLessThan(5);
      });
      expect(status).toBe('timeout');
      // As above: a glob on this thread would hold it until the agent's timeout (1.5 s).
      expect(stall).toBeLessThan(750);
    } finally {
      await server.close();
    }
  });
});
