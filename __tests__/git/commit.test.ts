import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { runAgent } from '../../src/agents/agent.js';
import { systemPrompt } from '../../src/model/prompt.js';
import { ForeignHistoryError } from '../../src/git/commit.js';
import { checkMerges } from '../../src/git/merge-check.js';
import { Workspace } from '../../src/git/workspace.js';
import { EventStream } from '../../src/events.js';
import type { AgentResult } from '../../src/result.js';
import { git, gitTrace, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';

/** Points the worktree's branch at a commit of a history of its own, the way a shell without the sandbox can. */
const FORGE =
  'git update-ref HEAD "$(echo forged | git -c user.name=A -c user.email=a@b commit-tree ' +
  '"$(git mktree </dev/null)")" && echo forged > forged.txt';

describe('committing an agent’s work', () => {
  it('refuses a branch that does not descend from its base, naming the branch', async () => {
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const workspace = new Workspace({ repo, root: path.join(tempDir('pa-commit-'), 'worktrees') });
    const forged = await workspace.create({ id: 'BAC-1', title: 'Forge' });
    const honest = await workspace.create({ id: 'BAC-2', title: 'Edit' });
    git(
      forged.path,
      'update-ref',
      'HEAD',
      git(
        forged.path,
        '-c',
        'user.name=A',
        '-c',
        'user.email=a@b',
        'commit-tree',
        '-m',
        'forged',
        git(forged.path, 'mktree'),
      ),
    );
    fs.writeFileSync(path.join(honest.path, 'README.md'), '# demo\nedited\n');

    const refused = workspace.commit(forged, 'BAC-1: Forge');
    await expect(refused).rejects.toThrow(ForeignHistoryError);
    await expect(refused).rejects.toThrow(
      `parallel-agents/bac-1-forge does not descend from its base ${forged.base.slice(0, 12)}`,
    );
    const kept = await workspace.commit(honest, 'BAC-2: Edit');
    expect(kept).toMatchObject({ filesChanged: ['README.md'], insertions: 1 });
    expect(git(repo, 'merge-base', '--is-ancestor', honest.base, kept.commit!)).toBe('');
  });

  describe('by an agent', () => {
    let server: MessagesServer;
    beforeAll(async () => {
      server = await startMessagesServer();
    });
    afterAll(() => server.close());

    /** Runs BAC-3 with `tools`, writing a file, and returns its result and the git commands the run started. */
    async function commitOf(tools: ('bash' | 'write')[]) {
      const repo = makeRepo({ 'README.md': '# demo\n' });
      server.setScripts({
        'BAC-3': [
          { tools: [{ name: 'write', input: { file_path: 'notes.md', content: 'notes\n' } }] },
          { text: 'Wrote it.' },
        ],
      });
      let results: AgentResult[] = [];
      const trace = await gitTrace(async () => {
        results = await runAgentsAgainst(server.url, [taskOf('BAC-3')], { repo, tools });
      });
      const asked = trace
        .split('\n')
        .map((line) => / start git (.*)$/.exec(line)?.[1])
        .filter((command) => command !== undefined);
      return { result: results[0]!, repo, asked };
    }

    it('with only the file tools asks git nothing about the branch’s history: nothing else could move it', async () => {
      const { result, repo, asked } = await commitOf(['write']);
      expect(result).toMatchObject({ status: 'succeeded', filesChanged: ['notes.md'], insertions: 1 });
      expect(git(repo, 'rev-parse', `${result.commit!}^`)).toBe(git(repo, 'rev-parse', 'HEAD'));
      expect(asked.some((command) => command.includes(' commit '))).toBe(true);
      // The one `rev-parse` is the workspace's, of the repository's HEAD, before the worktree was made.
      expect(asked.filter((command) => /merge-base|--work-tree=.* rev-parse/.test(command))).toEqual([]);
    });

    it('with a shell checks that the branch still descends from its base before it commits', async () => {
      const { result, asked } = await commitOf(['bash', 'write']);
      expect(result).toMatchObject({ status: 'succeeded', filesChanged: ['notes.md'] });
      expect(asked.filter((command) => command.includes('merge-base --is-ancestor'))).toHaveLength(1);
    });
  });

  describe('by an agent whose shell runs without the sandbox', () => {
    let server: MessagesServer;
    beforeAll(async () => {
      server = await startMessagesServer();
    });
    afterAll(() => server.close());

    it('fails that agent alone, and the merge check goes on over the others', async () => {
      const repo = makeRepo({ 'README.md': '# demo\n' });
      const workspace = new Workspace({ repo, root: path.join(tempDir('pa-commit-'), 'worktrees') });
      server.setScripts({
        'BAC-1': [{ tools: [{ name: 'bash', input: { command: FORGE } }] }, { text: 'Replaced it.' }],
        'BAC-2': [
          { tools: [{ name: 'bash', input: { command: 'echo edited >> README.md' } }] },
          { text: 'Edited it.' },
        ],
      });
      const run = (id: string, title: string): Promise<AgentResult> =>
        runAgent({
          client: new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }),
          task: { id, title, prompt: 'work', dependsOn: [], paths: [] },
          system: systemPrompt('', ''),
          model: 'claude-sonnet-4-6',
          maxTurns: 5,
          timeoutMs: 60_000,
          tools: ['bash'],
          workspace: {
            create: (task) => workspace.create(task),
            commit: (tree, message) => workspace.commit(tree, message),
            push: async () => ({ pushed: false, reason: 'no origin here' }),
            remove: (tree) => workspace.remove(tree),
          },
          events: new EventStream(),
          homeRoot: tempDir('pa-homes-'),
          shell: { sandbox: 'none' },
        });
      const results = await Promise.all([run('BAC-1', 'Forge'), run('BAC-2', 'Edit')]);

      expect(results[0]).toMatchObject({ status: 'failed', filesChanged: [], pushed: false });
      expect(results[0]!.commit).toBeUndefined();
      expect(results[0]!.error).toContain('parallel-agents/bac-1-forge does not descend from its base');
      expect(results[1]).toMatchObject({ status: 'succeeded', filesChanged: ['README.md'] });

      const base = git(repo, 'rev-parse', 'HEAD');
      const check = await checkMerges({
        repo,
        base,
        candidates: results
          .filter((r) => r.commit !== undefined)
          .map((r) => ({ task: r.id, branch: r.branch, commit: r.commit! })),
      });
      expect(check.order).toEqual(['BAC-2']);
    });
  });
});
