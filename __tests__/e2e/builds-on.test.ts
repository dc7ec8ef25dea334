import fs from 'node:fs';
import { addBareOrigin, git, makeRepo } from '../../support/git-repo.js';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';
import type { Scripts } from '../../support/script.js';

const API_KEY = 'sk-ant-api03-buildsOnE2EsecretKey0123456789';
const TOKEN = 'ghs_buildsOnE2EToken0123456789abcd';
const ISSUE = 9;
const ROUTER = 'export const provider = "openai";\n';

const edit = (file: string, from: string, to: string) => ({
  tools: [{ name: 'edit', input: { file_path: file, old_string: from, new_string: to } }],
});
const write = (file: string, content: string) => ({
  tools: [{ name: 'write', input: { file_path: file, content } }],
});
const read = (file: string) => ({ tools: [{ name: 'read', input: { file_path: file } }] });

/**
 * BAC-1 fixes the router; BAC-2 builds on it and reads it first. BAC-4 adds a changelog; BAC-3 builds on BAC-1 and
 * BAC-4 (a diamond) and reads both. BAC-5 and BAC-6 rename the README's title two ways; BAC-7 builds on both. BAC-8
 * and BAC-9 both name docs/guide.md; BAC-9 rewrites the line BAC-8 wrote.
 */
const SCRIPTS: Scripts = {
  'BAC-1': [edit('src/router.js', '"openai"', '"anthropic"'), { text: 'Routed to anthropic.' }],
  'BAC-2': [
    read('src/router.js'),
    write('docs/routing.md', 'Requests go to anthropic.\n'),
    { text: 'Documented.' },
  ],
  'BAC-3': [
    read('src/router.js'),
    read('CHANGELOG.md'),
    write('docs/release.md', 'Ready.\n'),
    { text: 'Both.' },
  ],
  'BAC-4': [write('CHANGELOG.md', '# Changelog\n\n- Routing fixed\n'), { text: 'Added a changelog.' }],
  'BAC-5': [edit('README.md', '# Gateway', '# Gateway (MIT)'), { text: 'MIT.' }],
  'BAC-6': [edit('README.md', '# Gateway', '# Gateway (Apache-2.0)'), { text: 'Apache.' }],
  'BAC-7': [{ text: 'Should never start.' }],
  'BAC-8': [edit('docs/guide.md', 'Step one.', 'Step one, done first.'), { text: 'Step one.' }],
  // It edits the very line BAC-8 wrote: only a task that starts from BAC-8's work can.
  'BAC-9': [
    read('docs/guide.md'),
    edit('docs/guide.md', 'Step one, done first.', 'Step one, done first and checked.'),
    { text: 'Checked.' },
  ],
};

const TASKS = `
- BAC-1: Fix the router
- BAC-2: Document the routing
  depends on: BAC-1
- BAC-4: Add a changelog
- BAC-3: Check the fix is in the changelog
  depends on: BAC-1, BAC-4
- BAC-5: Name the licence
- BAC-6: Name the other licence
- BAC-7: Write the licence notice
  depends on: BAC-5, BAC-6
- BAC-8: Write step one
  paths: docs/guide.md
- BAC-9: Write step two
  paths: docs/guide.md
`;

interface Result {
  id: string;
  status: string;
  branch: string;
  commit?: string;
  error?: string;
  buildsOn?: string[];
  pullRequest?: { number: number };
}

let model: MessagesServer;
let github: GitHubServer;
let workspace: string;
let origin: string;
let run: Awaited<ReturnType<typeof runAction>>;
let byId: Record<string, Result>;

beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  model = await startMessagesServer({ scripts: SCRIPTS, latencyMs: 10, recordBodies: true });
  workspace = makeRepo({
    'README.md': '# Gateway\n\nRoutes requests.\n',
    'src/router.js': ROUTER,
    'docs/guide.md': '# Guide\n\nStep one.\n\nIn between.\n\nStep two.\n',
    'CLAUDE.md': '# House rules\n\nKeep every line under 100 characters.\n',
  });
  origin = addBareOrigin(workspace);
  github = await startGitHubServer({
    tokens: [TOKEN],
    origin,
    issues: [{ number: ISSUE, title: 'Routing', user: 'maintainer' }],
  });
  run = await runAction({
    workspace,
    env: { GITHUB_API_URL: github.url, GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '7' },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      'issue-number': String(ISSUE),
      tasks: TASKS,
      'fail-on': 'none',
      verify: 'test -f README.md',
    },
  });
  byId = Object.fromEntries((JSON.parse(run.outputs.results!) as Result[]).map((r) => [r.id, r]));
});
afterAll(async () => {
  await model.close();
  await github.close();
});

/** What the agent of `task` got back from its tool calls, in order. */
function toolResults(task: string): string[] {
  const bodies = model.requests.filter((r) => r.task === task).map((r) => JSON.stringify(r.body ?? ''));
  return bodies.flatMap((b) =>
    [...b.matchAll(/"type":"tool_result"[^}]*?"content":"((?:[^"\\]|\\.)*)"/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    ),
  );
}

const isAncestor = (a: string, b: string) => {
  try {
    git(origin, 'merge-base', '--is-ancestor', a, b);
    return true;
  } catch {
    return false;
  }
};

describe('work that builds on work, through the built action', () => {
  it('runs to the end', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it("gives every agent the repository's CLAUDE.md in a system prompt of the same bytes", () => {
    const firsts = model.requests
      .filter((r) => r.task && r.turn === 0)
      .map((r) => JSON.stringify((r.body as { system: unknown }).system));
    expect(firsts.length).toBeGreaterThanOrEqual(8);
    expect(new Set(firsts).size).toBe(1);
    expect(firsts[0]).toContain('Keep every line under 100 characters.');
  });

  it("names a task's paths and the check it will be held to in its first message", () => {
    const first = JSON.stringify(model.requests.find((r) => r.task === 'BAC-8' && r.turn === 0)!.body);
    expect(first).toContain('This task is about these paths: `docs/guide.md`.');
    expect(first).toContain(
      'When you finish, `test -f README.md` runs on your work. You have no shell to run it',
    );
  });

  it("starts a dependent from its dependency's commit: its agent reads the fix first, and its branch holds it", () => {
    expect(toolResults('BAC-2')[0]).toContain('"anthropic"');
    expect(byId['BAC-2']!.buildsOn).toEqual(['BAC-1']);
    expect(isAncestor(byId['BAC-1']!.commit!, byId['BAC-2']!.commit!)).toBe(true);
    const first = model.requests.find((r) => r.task === 'BAC-2' && r.turn === 0);
    expect(JSON.stringify(first!.body)).toContain(
      'BAC-1 (Fix the router), which changed `src/router.js`: it depends on.',
    );
  });

  it('starts a task with two dependencies from their merge, and it sees both', () => {
    const [router, changelog] = toolResults('BAC-3');
    expect(router).toContain('"anthropic"');
    expect(changelog).toContain('Routing fixed');
    expect(byId['BAC-3']!.status).toBe('succeeded');
    expect(byId['BAC-3']!.buildsOn).toEqual(['BAC-1', 'BAC-4']);
  });

  it('leaves a task whose dependencies do not merge not started, naming the pair and the file', () => {
    expect(byId['BAC-7']!.status).toBe('skipped');
    expect(byId['BAC-7']!.error).toBe(
      'not started: the work of BAC-5 and BAC-6, which it builds on, does not merge (README.md)',
    );
    expect(model.requests.some((r) => r.task === 'BAC-7')).toBe(false);
  });

  it('stacks two tasks whose paths overlap, so both changes end on the later branch, and the pair merges', () => {
    expect(toolResults('BAC-9')[0]).toContain('Step one, done first.');
    const guide = git(origin, 'show', `${byId['BAC-9']!.branch}:docs/guide.md`);
    expect(guide).toContain('Step one, done first and checked.');
    expect(isAncestor(byId['BAC-8']!.commit!, byId['BAC-9']!.commit!)).toBe(true);
    expect(run.summary).toContain('BAC-9 on BAC-8');
  });

  it('puts both of an overlapping pair in the combined branch, with no conflict', async () => {
    const combined = await runAction({
      workspace,
      env: { GITHUB_API_URL: github.url, GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '8' },
      inputs: {
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': model.url,
        'github-token': TOKEN,
        'issue-number': String(ISSUE),
        tasks: TASKS.split('\n- ')
          .filter((t) => /^BAC-[89]:/.test(t))
          .map((t) => `- ${t}`)
          .join('\n'),
        'pull-requests': 'combined',
      },
    });
    expect(combined.code).toBe(0);
    const results = JSON.parse(combined.outputs.results!) as (Result & {
      conflictsWith?: string[];
      mergeOrder?: number;
    })[];
    expect(results.map((r) => [r.id, r.conflictsWith, r.mergeOrder])).toEqual([
      ['BAC-8', [], 1],
      ['BAC-9', [], 2],
    ]);
    const guide = git(origin, 'show', `parallel-agents/combined-${ISSUE}:docs/guide.md`);
    expect(guide).toContain('Step one, done first and checked.');
  });

  it('opens each stacked pull request against the branch it is built on, naming what to merge first', () => {
    const pulls = new Map(github.state.pulls.map((p) => [p.head, p]));
    const pull = (id: string) => pulls.get(byId[id]!.branch)!;
    expect(pull('BAC-1').base).toBe('main');
    expect(pull('BAC-2').base).toBe(byId['BAC-1']!.branch);
    expect(pull('BAC-2').body).toContain(`**Merge first:** #${pull('BAC-1').number} (BAC-1)`);
    expect(pull('BAC-3').base).toBe(byId['BAC-1']!.branch);
    expect(pull('BAC-3').body).toContain(
      `**Merge first:** #${pull('BAC-1').number} (BAC-1), #${pull('BAC-4').number} (BAC-4)`,
    );
    expect(pull('BAC-9').base).toBe(byId['BAC-8']!.branch);
  });
});
