import fs from 'node:fs';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction, type ActionRun } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-pullRequestsE2EsecretKey012345';
const TOKEN = 'ghs_pullRequestsE2EToken0123456789';
const ISSUE = 7;
const CREATE_PULL = 'POST /repos/{owner}/{repo}/pulls';
const UPDATE_PULL = 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}';

/**
 * BAC-1 adds a changelog; BAC-2 and BAC-3 rewrite the same README line two ways; BAC-4 only reads. Every agent ends
 * with a report, one of which tries to notify someone.
 */
const SCRIPTS: Scripts = {
  'BAC-1': [
    { tools: [{ name: 'write', input: { file_path: 'CHANGELOG.md', content: '# Changelog\n' } }] },
    { text: 'Added CHANGELOG.md. Thanks @maintainer.' },
  ],
  'BAC-2': [
    {
      tools: [
        {
          name: 'edit',
          input: { file_path: 'README.md', old_string: '# Gateway', new_string: '# Gateway (MIT)' },
        },
      ],
    },
    { text: 'Noted the MIT licence in the README title.' },
  ],
  'BAC-3': [
    {
      tools: [
        {
          name: 'edit',
          input: { file_path: 'README.md', old_string: '# Gateway', new_string: '# Gateway (Apache-2.0)' },
        },
      ],
    },
    { text: 'Noted the Apache licence in the README title.' },
  ],
  'BAC-4': [
    { tools: [{ name: 'read', input: { file_path: 'README.md' } }] },
    { text: 'The README needs nothing.' },
  ],
};

const TITLES: Record<string, string> = {
  'BAC-1': 'Add a changelog',
  'BAC-2': 'Name the licence',
  'BAC-3': 'Name the other licence',
  'BAC-4': 'Check the README',
};

const tasks = (...ids: string[]) => ids.map((id) => `- ${id}: ${TITLES[id]}`).join('\n');

interface Result {
  id: string;
  status: string;
  branch: string;
  pullRequest?: { number: number; url: string };
  conflictsWith?: string[];
  mergeOrder?: number;
  leftOut?: string;
}

let model: MessagesServer;
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({ scripts: SCRIPTS });
});
afterAll(() => model.close());

/** A checkout of `main` with a real bare `origin`, and a GitHub stand-in of its own that knows that origin's branches. */
interface Scene {
  workspace: string;
  origin: string;
  github: GitHubServer;
}
const scenes: Scene[] = [];
afterAll(() => Promise.all(scenes.map((scene) => scene.github.close())));

async function setUp(): Promise<Scene> {
  const workspace = makeRepo({ 'README.md': '# Gateway\n\nRoutes requests.\n' });
  const origin = addBareOrigin(workspace);
  const github = await startGitHubServer({
    tokens: [TOKEN],
    origin,
    issues: [{ number: ISSUE, title: 'Licence and changelog', user: 'maintainer' }],
  });
  scenes.push({ workspace, origin, github });
  return { workspace, origin, github };
}

/** A run of `ids` on a GitHub that answers each request to open a pull request with a 403 saying `message`. */
async function refusedWith(ids: string[], message: string, times?: number) {
  const scene = await setUp();
  scene.github.inject({
    route: CREATE_PULL,
    kind: 'status',
    status: 403,
    message,
    ...(times === undefined ? {} : { times }),
  });
  return { ...scene, result: await run(scene, { tasks: tasks(...ids) }) };
}

function run({ workspace, github }: Scene, inputs: Record<string, string>) {
  return runAction({
    workspace,
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_RUN_ID: '42',
      GITHUB_SERVER_URL: 'https://github.com',
    },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      'issue-number': String(ISSUE),
      ...inputs,
    },
  });
}

const routes = (github: GitHubServer, route: string) => github.calls.filter((c) => c.route === route);
const errorLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error::'));

/** What GitHub and origin held after a scene's first run, before its second run changed them. */
interface AfterFirst {
  pulls: GitHubServer['state']['pulls'];
  comments: GitHubServer['state']['comments'];
  combinedReadme?: string;
  combinedChangelog?: string;
  status: string;
}
const afterFirst = ({ github, origin, workspace }: Scene, combined = false): AfterFirst => ({
  pulls: structuredClone(github.state.pulls),
  comments: structuredClone(github.state.comments),
  ...(combined
    ? {
        combinedReadme: git(origin, 'show', 'parallel-agents/combined-7:README.md'),
        combinedChangelog: git(origin, 'show', 'parallel-agents/combined-7:CHANGELOG.md'),
      }
    : {}),
  status: git(workspace, 'status', '--porcelain'),
});

/**
 * Every scene has a server and a checkout of its own, so the three go out at once; a scene's two runs follow one
 * another, and what a test reads between them is kept. Which fix each refusal names is asserted on
 * upsertPullRequest (__tests__/github/pull-requests.test.ts); one refusal here shows how it ends the step.
 */
let reRun: Scene & { first: ActionRun; afterFirst: AfterFirst; second: ActionRun };
let combined: Scene & { first: ActionRun; afterFirst: AfterFirst; again: ActionRun };
let notPermitted: Scene & { result: ActionRun };
beforeAll(async () => {
  [reRun, combined, notPermitted] = await Promise.all([
    (async () => {
      const scene = await setUp();
      const first = await run(scene, { tasks: tasks('BAC-1', 'BAC-2', 'BAC-4') });
      const before = afterFirst(scene);
      const second = await run(scene, { tasks: tasks('BAC-1', 'BAC-2', 'BAC-4') });
      return { ...scene, first, afterFirst: before, second };
    })(),
    (async () => {
      const scene = await setUp();
      const first = await run(scene, {
        tasks: `${tasks('BAC-1', 'BAC-2')}\n- BAC-3: ${TITLES['BAC-3']}\n  depends on: BAC-1`,
        'pull-requests': 'combined',
      });
      const before = afterFirst(scene, true);
      // Again, BAC-3 alone this time.
      const again = await run(scene, { tasks: tasks('BAC-3'), 'pull-requests': 'combined' });
      return { ...scene, first, afterFirst: before, again };
    })(),
    refusedWith(['BAC-1', 'BAC-2'], 'GitHub Actions is not permitted to create or approve pull requests.', 5),
  ]);
});

describe('pull requests, through the built action', () => {
  it('opens a draft pull request per changed task, none for a task that changed nothing, and updates them on a re-run', () => {
    const { github, first, second } = reRun;
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const pulls = reRun.afterFirst.pulls;
    expect(pulls.map((p) => [p.head, p.base, p.draft, p.state, p.title])).toEqual([
      ['parallel-agents/bac-1-add-a-changelog', 'main', true, 'open', 'BAC-1: Add a changelog'],
      ['parallel-agents/bac-2-name-the-licence', 'main', true, 'open', 'BAC-2: Name the licence'],
    ]);
    const [one, two] = pulls;
    expect(one!.body).toMatch(/^Fixes BAC-1\nPart of #7\n/);
    expect(two!.body).toMatch(/^Fixes BAC-2\nPart of #7\n/);
    expect(one!.body).toContain('Added CHANGELOG.md.');
    // Agent text is untrusted: the mention notifies nobody.
    expect(one!.body).not.toMatch(/@maintainer/);
    expect(one!.body).toContain('✅ succeeded');
    expect(one!.body).toContain('https://github.com/octo-org/gateway/actions/runs/42');
    expect(one!.body).not.toContain(API_KEY);

    // The links reach the results output, the summary and the sticky comment.
    const results = JSON.parse(first.outputs.results!) as Result[];
    const url = (n: number) => `https://github.com/octo-org/gateway/pull/${n}`;
    expect(results.map((r) => [r.id, r.pullRequest])).toEqual([
      ['BAC-1', { number: one!.number, url: url(one!.number) }],
      ['BAC-2', { number: two!.number, url: url(two!.number) }],
      ['BAC-4', undefined],
    ]);
    expect(first.summary).toContain(`[#${one!.number}](${url(one!.number)})`);
    expect(first.summary).toContain(`[#${two!.number}](${url(two!.number)})`);
    const comment = reRun.afterFirst.comments.find((c) => c.issueNumber === ISSUE)!;
    expect(comment.body).toContain(`[#${one!.number}](${url(one!.number)})`);
    expect(comment.body).toContain(`[#${two!.number}](${url(two!.number)})`);
    expect(first.stdout).toMatch(new RegExp(`\\[BAC-1\\] opened pull request #${one!.number}`));

    // Two branches that edit different files merge cleanly.
    expect(first.summary).toContain('Every pair of the 2 changed branches merges cleanly');
    expect(results.find((r) => r.id === 'BAC-1')!.conflictsWith).toEqual([]);

    // The second run pushes the branches again and edits the same two pull requests.
    expect(second.code).toBe(0);
    expect(routes(github, CREATE_PULL)).toHaveLength(2);
    expect(routes(github, UPDATE_PULL).map((c) => c.path)).toEqual([
      `/repos/octo-org/gateway/pulls/${one!.number}`,
      `/repos/octo-org/gateway/pulls/${two!.number}`,
    ]);
    expect(github.state.pulls).toHaveLength(2);
    const again = JSON.parse(second.outputs.results!) as Result[];
    expect(again.map((r) => r.pullRequest?.number)).toEqual([one!.number, two!.number, undefined]);
    expect(second.stdout).toMatch(new RegExp(`\\[BAC-1\\] updated pull request #${one!.number}`));
  });

  it('shows two agents that edit the same lines as conflicting, and combined leaves one out and opens a pull request with the rest', () => {
    const { github, origin, first: result, again } = combined;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const results = JSON.parse(result.outputs.results!) as Result[];
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['BAC-2']!.conflictsWith).toEqual(['BAC-3']);
    expect(byId['BAC-3']!.conflictsWith).toEqual(['BAC-2']);
    expect(byId['BAC-1']!.conflictsWith).toEqual([]);
    expect([byId['BAC-1']!.mergeOrder, byId['BAC-2']!.mergeOrder, byId['BAC-3']!.mergeOrder]).toEqual([
      1,
      2,
      undefined,
    ]);
    expect(byId['BAC-3']!.leftOut).toBe('conflicts with BAC-2 in README.md');

    // The summary and the comment show the matrix, the order and what was left out.
    for (const body of [result.summary, combined.afterFirst.comments[0]!.body]) {
      expect(body).toContain('### Merge check');
      expect(body).toContain('| **BAC-2** | ✅ |  | ❌ |');
      expect(body).toContain('**Merge order that works:** **BAC-1** → **BAC-2**');
      expect(body).toContain('- **BAC-3**: conflicts with BAC-2 in README.md');
    }

    // One pull request, from the combined branch on origin, with BAC-1 and BAC-2 merged in dependency order.
    expect(combined.afterFirst.pulls).toHaveLength(1);
    const [pull] = combined.afterFirst.pulls;
    expect(pull!.head).toBe('parallel-agents/combined-7');
    expect(pull!.draft).toBe(true);
    expect(pull!.body).toMatch(/^Fixes BAC-1\nFixes BAC-2\nPart of #7\n/);
    expect(pull!.body).toContain('- **BAC-3**: conflicts with BAC-2 in README.md');
    expect(combined.afterFirst.combinedReadme).toContain('# Gateway (MIT)');
    expect(combined.afterFirst.combinedChangelog).toBe('# Changelog');
    expect(byId['BAC-1']!.pullRequest?.number).toBe(pull!.number);
    expect(byId['BAC-2']!.pullRequest?.number).toBe(pull!.number);
    expect(byId['BAC-3']!.pullRequest).toBeUndefined();
    // Both end with what to do: merge the one pull request, then run the branch left out again on top of it.
    for (const body of [result.summary, combined.afterFirst.comments[0]!.body]) {
      const next = body.slice(body.indexOf('### What next'));
      expect(next).toContain(
        `- **Merge** in this order: 1. [#${pull!.number}](https://github.com/octo-org/gateway/pull/${pull!.number}) BAC-1, BAC-2\n`,
      );
      expect(next).toContain(
        `- **BAC-3** conflicts with BAC-2 in \`README.md\`: run BAC-3 again after merging #${pull!.number}, so it starts from them`,
      );
    }
    // The checkout is untouched: the merges needed no worktree.
    expect(combined.afterFirst.status).toBe('?? parallel-agents-results/');

    // Run again, BAC-3 alone this time: the combined branch is rebuilt from it and the same pull request updated.
    expect(again.code).toBe(0);
    expect(github.state.pulls).toHaveLength(1);
    expect(routes(github, UPDATE_PULL).map((c) => c.path)).toEqual([
      `/repos/octo-org/gateway/pulls/${pull!.number}`,
    ]);
    expect(github.state.pulls[0]!.body).toMatch(/^Fixes BAC-3\nPart of #7\n/);
    expect(git(origin, 'show', 'parallel-agents/combined-7:README.md')).toContain('# Gateway (Apache-2.0)');
  });

  it('ends in one line naming the repository setting when GitHub Actions may not open pull requests', () => {
    const { github, origin, result } = notPermitted;
    expect(result.code).toBe(1);
    const errors = errorLines(result.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error::Pull requests in octo-org\/gateway: GitHub Actions is not permitted to create or approve pull requests\. To fix it, turn on "Allow GitHub Actions to create and approve pull requests" in the repository's Settings → Actions → General → Workflow permissions/,
    );
    // One refusal is enough: the second branch is not tried, and both branches are on origin.
    expect(routes(github, CREATE_PULL)).toHaveLength(1);
    expect(git(origin, 'branch', '--list', 'parallel-agents/*').split('\n')).toHaveLength(2);
    expect(result.summary).toContain('Allow GitHub Actions to create and approve pull requests');
    expect(github.state.comments[0]!.body).toContain(
      'Allow GitHub Actions to create and approve pull requests',
    );
    // What next gives each branch the page that opens its pull request by hand.
    for (const body of [result.summary, github.state.comments[0]!.body]) {
      const next = body.slice(body.indexOf('### What next'));
      expect(next).toMatch(
        /- \*\*BAC-1\*\*: open its pull request by hand \(\[compare\]\(https:\/\/github\.com\/[^)]+\)\)/,
      );
      expect(next).toMatch(/- \*\*BAC-2\*\*: open its pull request by hand/);
    }
  });
});
