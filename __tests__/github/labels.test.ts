import { getOctokit } from '@actions/github';
import { removeLabel } from '../../src/github/labels.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';

const repo = { owner: 'octo-org', repo: 'gateway' };
const ROUTE = 'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}';

let server: GitHubServer;

afterEach(async () => {
  await server?.close();
});

async function start() {
  server = await startGitHubServer({ issues: [{ number: 7, labels: ['bug', 'parallel-agents'] }] });
  return getOctokit('ghs_standInToken0123456789', { baseUrl: server.url });
}

describe('removeLabel', () => {
  it('takes the trigger label off and leaves the others', async () => {
    const octokit = await start();
    const warnings: string[] = [];

    expect(await removeLabel(octokit, repo, 7, 'parallel-agents', (w) => warnings.push(w))).toBe(true);

    expect(server.state.issues[0]!.labels).toEqual(['bug']);
    expect(warnings).toEqual([]);
  });

  it('is content when the label is already gone', async () => {
    const octokit = await start();
    server.state.issues[0]!.labels = [];
    const warnings: string[] = [];

    expect(await removeLabel(octokit, repo, 7, 'parallel-agents', (w) => warnings.push(w))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('warns, and does not throw, when the label cannot be removed', async () => {
    const octokit = await start();
    server.inject({ route: ROUTE, kind: 'status', status: 403 });
    const warnings: string[] = [];

    expect(await removeLabel(octokit, repo, 7, 'parallel-agents', (w) => warnings.push(w))).toBe(false);
    expect(warnings).toEqual([
      expect.stringMatching(/^Could not remove the label "parallel-agents" from #7, so adding it again/),
    ]);
    expect(server.state.issues[0]!.labels).toEqual(['bug', 'parallel-agents']);
  });
});
