import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import type { ToolName } from '../../src/settings.js';
import { shellEnvironment } from '../../src/sandbox/shell-env.js';
import { agentToolset, TOOL_ORDER, type AgentTool } from '../../src/tools/toolset.js';
import { AgentNotes } from '../../src/tools/notes.js';
import { EventStream } from '../../src/events.js';
import { makeRepo, tempDir } from '../../support/git-repo.js';

// One call per tool that changes the worktree if the tool can, and, for a shell, once more after it has returned.
const CALLS: Record<ToolName, Record<string, unknown>> = {
  bash: { command: 'echo now > now.txt; (sleep 0.3; echo later > later.txt) &' },
  read: { file_path: 'README.md' },
  write: { file_path: 'written.md', content: 'written\n' },
  edit: { file_path: 'README.md', old_string: 'Toolset', new_string: 'Edited' },
  glob: { pattern: '**/*.md' },
  grep: { pattern: 'Toolset' },
};

/** Every file under `root` but `.git`, with its content. */
function files(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const name = path.relative(root, full);
    if (name === '.git' || name.startsWith(`.git${path.sep}`) || !entry.isFile()) continue;
    found[name] = fs.readFileSync(full, 'utf8');
  }
  return found;
}

function toolsetIn(repo: string, allowed: ToolName[]): AgentTool[] {
  const home = tempDir('pa-home-');
  return agentToolset({
    allowed,
    worktree: { path: repo, branch: 'main', gitDir: path.join(repo, '.git') },
    home,
    env: shellEnvironment(process.env, home),
    shell: { sandbox: 'none' },
  });
}

describe('agentToolset', () => {
  it('defines every tool of the SDK agent toolset, in its order', async () => {
    const sdk = betaAgentToolset20260401({ workdir: tempDir() });
    await Promise.all(sdk.map((tool) => tool.close?.()));
    expect(TOOL_ORDER).toEqual(sdk.map((tool) => tool.name));
    expect(Object.keys(CALLS).sort()).toEqual([...TOOL_ORDER].sort());
  });

  it('gives only the allowed tools, each saying whether it writes', () => {
    const repo = makeRepo({ 'README.md': '# Toolset\n' });
    const tools = agentToolset({
      allowed: ['grep', 'edit', 'read'],
      worktree: { path: repo, branch: 'main', gitDir: path.join(repo, '.git') },
      home: tempDir(),
      env: {},
      shell: { sandbox: 'none' },
    });
    expect(tools.map(({ name, writes }) => [name, writes])).toEqual([
      ['read', false],
      ['edit', true],
      ['grep', false],
    ]);
  });

  it('adds the progress and notes tools after the allowed ones, touching no file, in the same bytes for every agent', () => {
    const events = new EventStream();
    const definitions = (task: string) => {
      const repo = makeRepo({ 'README.md': '# Toolset\n' });
      const tools = agentToolset({
        allowed: ['read', 'edit'],
        worktree: { path: repo, branch: task, gitDir: path.join(repo, '.git') },
        home: tempDir(),
        env: {},
        shell: { sandbox: 'none' },
        team: { progress: () => {}, notes: new AgentNotes(task, events) },
      });
      expect(tools.map(({ name, writes, usesWorktree }) => [name, writes, usesWorktree])).toEqual([
        ['read', false, true],
        ['edit', true, true],
        ['report_progress', false, false],
        ['team_notes', false, false],
      ]);
      // What the API is sent of each tool; the functions and symbols are left out.
      return JSON.stringify(tools);
    };
    expect(definitions('BAC-1')).toBe(definitions('BAC-2'));
  });

  it('flags each tool that changes a file in a real worktree as writing, and a shell as writing after it returns', async () => {
    // Each tool in a repository of its own; all of them called first, then one wait for what changes after a call
    // returned (the shell's background write comes 0.3 s on).
    const called = TOOL_ORDER.map((name) => {
      const repo = makeRepo({ 'README.md': '# Toolset\n' });
      const [used] = toolsetIn(repo, [name]) as [AgentTool];
      return { repo, used, before: files(repo), returned: {} as Record<string, string> };
    });
    const outcomes: Record<string, unknown> = {};
    try {
      for (const call of called) {
        await call.used.run(CALLS[call.used.name as ToolName] as never);
        call.returned = files(call.repo);
      }
      await sleep(600);
      for (const { repo, used, before, returned } of called) {
        const later = files(repo);
        outcomes[used.name] = {
          changed: JSON.stringify(returned) !== JSON.stringify(before),
          changedAfterReturn: JSON.stringify(later) !== JSON.stringify(returned),
        };
        expect(outcomes[used.name]).toEqual({
          changed: used.writes,
          changedAfterReturn: used.writesAfterReturn,
        });
      }
    } finally {
      await Promise.all(called.map(({ used }) => used.close?.()));
    }
    expect(Object.keys(outcomes)).toEqual(TOOL_ORDER);
  });
});
