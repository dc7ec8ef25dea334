import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { git, makeRepo, serveOverHttp, tempDir, type HttpRemote } from '../../support/git-repo.js';
import { startMessagesServer, type MessagesServer } from '../../support/messages-server.js';
import { DIST, runAction } from '../../support/run-action.js';

const API_KEY = 'sk-ant-api03-trustE2EsecretKey0123456789ab';
const TOKEN = 'ghs_trustE2EToken0123456789abcdefghij';
/** The token as the push's header carries it. */
const HEADER = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const APP = 'export const answer = 42;\n';
const INJECTED = `${APP}injected();\n`;

/** Forks sleepers until a fork fails, then ends: bounded at 400 processes, however the limit holds. */
const PYTHON_BOMB = [
  "/usr/bin/python3 -c 'import os, time",
  'for _ in range(400):',
  '    if os.fork() == 0:',
  '        time.sleep(30)',
  "        os._exit(0)'",
].join('\n');

const IDENTITY =
  'export GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@example.com GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@example.com';

const bash = (command: string, timeoutMs?: number) => ({
  tools: [{ name: 'bash', input: timeoutMs ? { command, timeout_ms: timeoutMs } : { command } }],
});

interface Row {
  id: string;
  status: string;
  branch: string;
  commit?: string;
  error?: string;
  filesChanged: string[];
}

let model: MessagesServer;
let remote: HttpRemote;
let workspace: string;
let origin: string;
let base: string;
let blob: string;
let argvLog: string;
let run: Awaited<ReturnType<typeof runAction>>;
let rows: Record<string, Row>;

/**
 * One run of four agents, the sandbox on, pushing over HTTP with a token. BAC-1 attacks the repository's git
 * directory from its shell: it rewrites the blob of app.txt under the same hash, makes a forged history and points
 * main and its own branch at it, writes junk into the object store, and then makes one change of its own. BAC-2
 * builds on BAC-1 and edits app.txt, so the action checks that file out after the attack. BAC-3 runs a fork bomb,
 * BAC-4 holds more memory than it may.
 */
beforeAll(async () => {
  expect(fs.existsSync(DIST)).toBe(true);
  workspace = fs.realpathSync(makeRepo({ 'README.md': '# x\n', 'app.txt': APP }));
  base = git(workspace, 'rev-parse', 'main');
  blob = git(workspace, 'rev-parse', 'main:app.txt');
  origin = tempDir('pa-origin-');
  git(origin, 'init', '-q', '--bare');
  git(workspace, 'push', '-q', origin, 'main');
  remote = await serveOverHttp(origin, TOKEN);
  git(workspace, 'remote', 'add', 'origin', remote.url);

  // A `git` first on PATH that records every command line it is started with, then runs the real one.
  const bin = path.join(tempDir('pa-argv-'), 'bin');
  fs.mkdirSync(bin);
  argvLog = path.join(path.dirname(bin), 'argv.log');
  fs.writeFileSync(
    path.join(bin, 'git'),
    `#!/bin/sh\n{ printf '%s ' "$@" >> '${argvLog}' && echo >> '${argvLog}'; } 2>/dev/null\nexec /usr/bin/git "$@"\n`,
    { mode: 0o755 },
  );

  const objects = path.join(workspace, '.git', 'objects');
  // A loose object of other bytes, to be written where app.txt's blob is.
  const forged = deflateSync(Buffer.from(`blob ${Buffer.byteLength(INJECTED)}\0${INJECTED}`)).toString(
    'base64',
  );
  const file = path.join(objects, blob.slice(0, 2), blob.slice(2));
  const shared = `git --git-dir='${path.join(workspace, '.git')}'`;
  model = await startMessagesServer({
    latencyMs: 20,
    scripts: {
      'BAC-1': [
        bash(
          [
            `chmod u+w '${file}'; echo '${forged}' | base64 -d > '${file}'; echo blob=$?`,
            `head -c 2000000 /dev/urandom > '${objects}/pack/junk.pack'; mkdir '${objects}/ee'`,
            `head -c 64 /dev/urandom > '${objects}/ee/${'0'.repeat(38)}'; echo junk=$?`,
            IDENTITY,
            // Its own git is private: a forged history there is allowed, and must not reach the branch.
            'git update-ref HEAD "$(git commit-tree -m forged "$(git mktree </dev/null)")"; echo private=$?',
            'echo mine > one.md',
          ].join('\n'),
        ),
        { text: 'Tried the object store.' },
      ],
      'BAC-5': [
        bash(
          [
            IDENTITY,
            `T=$(${shared} mktree </dev/null); C=$(${shared} commit-tree -m forged "$T")`,
            `${shared} update-ref refs/heads/main "$C"; ${shared} update-ref "$(git symbolic-ref HEAD)" "$C"; echo refs=$?`,
            'echo five > five.md',
          ].join('\n'),
        ),
        { text: 'Tried the refs.' },
      ],
      'BAC-2': [bash("echo 'victim();' >> app.txt"), { text: 'Edited app.txt.' }],
      'BAC-3': [bash(PYTHON_BOMB, 10_000), { text: 'Forked.' }],
      'BAC-4': [bash(`/usr/bin/python3 -c "b = b'x' * (300 << 20)"`), { text: 'Held memory.' }],
    },
  });

  run = await runAction({
    workspace,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    inputs: {
      'anthropic-api-key': API_KEY,
      'anthropic-base-url': model.url,
      'github-token': TOKEN,
      tasks: [
        '- BAC-1: Try the object store',
        '- BAC-2: Edit the app',
        '  depends on: BAC-1',
        '- BAC-3: Fork',
        '- BAC-4: Hold memory',
        '- BAC-5: Try the refs',
      ].join('\n'),
      'allowed-tools': 'read,bash',
      'agent-processes': '64',
      'agent-memory-mb': '128',
      'pull-requests': 'none',
      'fail-on': 'none',
    },
  });
  rows = Object.fromEntries((JSON.parse(run.outputs.results ?? '[]') as Row[]).map((r) => [r.id, r]));
});
afterAll(async () => {
  await model.close();
  await remote.close();
});

describe('what agents cannot break, through the built action', () => {
  it('ran to the end and reported', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.summary).toContain('3/5 tasks succeeded');
  });

  it("leaves the repository's objects and refs as they were", () => {
    const fsck = spawnSync('git', ['fsck', '--full', '--strict'], { cwd: workspace, encoding: 'utf8' });
    expect(fsck.stderr).toBe('');
    expect(fsck.status).toBe(0);
    expect(git(workspace, 'cat-file', '-p', `${base}:app.txt`)).toBe(APP.trimEnd());
    expect(git(workspace, 'rev-parse', 'refs/heads/main')).toBe(base);
    const objects = path.join(workspace, '.git', 'objects');
    expect(fs.existsSync(path.join(objects, 'pack', 'junk.pack'))).toBe(false);
    // The file itself: the action's own commits may well put an object under `ee/`.
    expect(fs.existsSync(path.join(objects, 'ee', '0'.repeat(38)))).toBe(false);
  });

  it.each([
    ['BAC-1', 'one.md'],
    ['BAC-5', 'five.md'],
  ])("pushes %s's working-tree change alone, on the base", (id, file) => {
    const row = rows[id]!;
    expect(row).toMatchObject({ status: 'succeeded', filesChanged: [file] });
    const pushed = git(origin, 'rev-parse', `refs/heads/${row.branch}`);
    expect(pushed).toBe(row.commit);
    expect(git(origin, 'rev-parse', `${pushed}^`)).toBe(base);
    expect(git(origin, 'diff', '--name-only', base, pushed)).toBe(file);
    expect(git(origin, 'rev-parse', 'refs/heads/main')).toBe(base);
  });

  it("commits the second agent's own edit of the file, without the injected line", () => {
    const row = rows['BAC-2']!;
    expect(row).toMatchObject({ status: 'succeeded', filesChanged: ['app.txt'] });
    expect(git(origin, 'show', `${row.commit}:app.txt`)).toBe(`${APP}victim();`);
    expect(git(origin, 'diff', `${row.commit}^`, row.commit!, '--', 'app.txt')).not.toContain('injected');
  });

  it('fails the fork bomb and the memory hog alone, each with its limit named', () => {
    expect(rows['BAC-3']).toMatchObject({
      status: 'failed',
      error: 'stopped: the shell tried to run more processes at once than agent-processes allows (64)',
    });
    expect(rows['BAC-4']!.status).toBe('failed');
    expect(rows['BAC-4']!.error).toMatch(/past its memory limit \(agent-memory-mb: 128\)/);
  });

  it('starts no git with the token on its command line, and writes it to no result file', () => {
    const lines = fs.readFileSync(argvLog, 'utf8').split('\n');
    // The log saw the pushes, so it would have seen the token on them.
    expect(lines.filter((line) => line.split(' ').includes('push')).length).toBeGreaterThan(0);
    expect(remote.authorizations.some((a) => a?.includes(HEADER))).toBe(true);
    for (const secret of [TOKEN, HEADER]) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    const results = path.join(workspace, 'parallel-agents-results');
    const files = fs.readdirSync(results, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const text = fs.readFileSync(path.join(file.parentPath, file.name), 'utf8');
      for (const secret of [TOKEN, HEADER]) expect(text.includes(secret) ? file.name : '').toBe('');
    }
  });
});
