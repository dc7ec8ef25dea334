import fs from 'node:fs';
import { addBareOrigin, git, makeRepo, tempDir } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';

const API_KEY = 'sk-ant-api03-twoRunsE2EsecretKey0123456789';
const TASKS = '- BAC-1: Add a changelog';

const write = (content: string) => ({
  tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content } }],
});

interface Row {
  id: string;
  status: string;
  branch: string;
  commit?: string;
  pushed: boolean;
  notPushed?: string;
}

let fast: MessagesServer;
let slow: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  fast = await startMessagesServer({
    scripts: { 'BAC-1': [write('# Changelog (first run)\n'), { text: 'Added.' }] },
  });
  // The second run's agent is still at work when the first run has pushed.
  slow = await startMessagesServer({
    latencyMs: 700,
    scripts: { 'BAC-1': [write('# Changelog (second run)\n'), { text: 'Added.' }] },
  });
});
afterAll(async () => {
  await fast.close();
  await slow.close();
});

describe('two runs of the same tasks at once, through the built action', () => {
  it('leaves the branch the first run pushed as it is, and the second says its work was not pushed', async () => {
    // Two runners, each with its own checkout of one origin.
    const first = makeRepo({ 'README.md': '# Gateway\n' });
    const origin = addBareOrigin(first);
    const second = tempDir('pa-second-');
    git(second, 'clone', '-q', '-b', 'main', origin, '.');
    const run = (workspace: string, model: MessagesServer) =>
      runAction({
        workspace,
        env: { GITHUB_REF: 'refs/heads/main' },
        inputs: {
          'anthropic-api-key': API_KEY,
          'anthropic-base-url': model.url,
          'github-token': '',
          tasks: TASKS,
          'pull-requests': 'none',
          'fail-on': 'none',
        },
      });
    const [a, b] = await Promise.all([run(first, fast), run(second, slow)]);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    const [mine] = JSON.parse(a.outputs.results!) as Row[];
    const [theirs] = JSON.parse(b.outputs.results!) as Row[];
    expect(mine).toMatchObject({ status: 'succeeded', pushed: true });
    expect(theirs!.commit).toEqual(expect.any(String));
    expect(theirs!.pushed).toBe(false);
    expect(theirs!.notPushed).toMatch(/not (replaced|pushed)/);

    // origin holds the first run's work, whole.
    expect(git(origin, 'rev-parse', `refs/heads/${mine!.branch}`)).toBe(mine!.commit);
    expect(git(origin, 'show', `${mine!.branch}:CHANGELOG.md`)).toBe('# Changelog (first run)');
  });
});
