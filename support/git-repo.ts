import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gitEnvironment } from '../src/git/runner.js';

/** A throwaway directory, under the run's own temporary directory (see `global-setup.js`). */
export function tempDir(prefix = 'pa-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Git's environment in the tests, as the action gives its own git (`gitEnvironment`): no one's config but the
 * repository's, and no `git maintenance` started after a commit, which a test's repository of a few commits has no
 * use for.
 */
const testGitEnv = (cwd: string) => ({
  ...gitEnvironment([
    ['maintenance.auto', 'false'],
    ['gc.auto', '0'],
  ]),
  HOME: cwd,
  GIT_CONFIG_NOSYSTEM: '1',
});

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: testGitEnv(cwd) }).trim();
}

/** A real git repository with `files` committed on `main`. */
export function makeRepo(files: Record<string, string>, dir = tempDir('pa-repo-')): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  // One process from the test's, which is large (a fork of it costs more than git's work here), and three gits from it.
  execFileSync(
    'sh',
    [
      '-c',
      'git init -q -b main && git add -A && ' +
        'git -c user.name=Test -c user.email=test@example.com commit -qm initial',
    ],
    { cwd: dir, env: testGitEnv(dir) },
  );
  return dir;
}

/** A bare repository set as `repo`'s `origin`, the way a checkout's remote is; returns its path. */
export function addBareOrigin(repo: string): string {
  const bare = tempDir('pa-origin-');
  git(bare, 'init', '-q', '--bare');
  // A push to it then starts no `git gc --auto` on the receiving side (GitHub's side, in a real run).
  fs.appendFileSync(path.join(bare, 'config'), '[receive]\n\tautogc = false\n');
  git(repo, 'remote', 'add', 'origin', bare);
  git(repo, 'push', '-q', 'origin', 'main');
  return bare;
}

/** A bare repository served over smart HTTP on loopback, as GitHub serves one, and what it was sent. */
export interface HttpRemote {
  url: string;
  /** The `Authorization` header of every request, as sent. */
  authorizations: (string | undefined)[];
  close: () => Promise<void>;
}

/**
 * Serves `bare` over HTTP through `git http-backend`, answering only requests whose `Authorization` is basic auth
 * of `x-access-token:<token>` (401 otherwise, as GitHub does): a push through it works only with that header.
 */
export async function serveOverHttp(bare: string, token: string): Promise<HttpRemote> {
  const expected = `basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const authorizations: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization?.toLowerCase() !== expected.toLowerCase()) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://loopback');
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: path.dirname(bare),
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
      },
    });
    req.pipe(backend.stdin);
    const out: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    backend.on('close', () => {
      // A CGI reply: headers, an empty line, the body.
      const whole = Buffer.concat(out);
      const end = whole.indexOf('\r\n\r\n');
      const headers = whole.subarray(0, end).toString().split('\r\n');
      const status = Number(/^Status: (\d+)/m.exec(headers.join('\n'))?.[1] ?? 200);
      for (const line of headers) {
        const [name, ...value] = line.split(': ');
        if (name && name !== 'Status') res.setHeader(name, value.join(': '));
      }
      res.writeHead(status).end(whole.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/${path.basename(bare)}`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs `step` with git's own trace of every git process started meanwhile (the ones git starts itself too) going to a
 * file, through a global config in a `HOME` of its own; returns the trace.
 */
export async function gitTrace(step: () => Promise<unknown>): Promise<string> {
  const home = tempDir('pa-home-');
  const trace = path.join(home, 'trace.log');
  fs.writeFileSync(path.join(home, '.gitconfig'), `[trace2]\n\tnormalTarget = ${trace}\n`);
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    await step();
  } finally {
    process.env.HOME = saved;
  }
  return fs.readFileSync(trace, 'utf8');
}
