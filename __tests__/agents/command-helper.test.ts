import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { runCommand, type CommandFailure } from '../../src/agents/command-helper.js';
import { tempDir } from '../../support/git-repo.js';

const env = { PATH: process.env.PATH ?? '' };

/** Runs a trivial command until the helper is up (it starts with the first command), so the rest go through it. */
async function helperUp(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await runCommand('true', [], { cwd: '/', env });
    await setTimeout(10);
  }
}

describe('runCommand', () => {
  beforeAll(helperUp);

  it('starts commands from a helper process, not from this one, once the first few have run', async () => {
    const parent = Number(await runCommand('sh', ['-c', 'echo $PPID'], { cwd: '/', env }));
    expect(parent).not.toBe(process.pid);
    const helper = await readFile(`/proc/${parent}/cmdline`, 'utf8');
    expect(helper.split('\0')[0]).toBe(process.execPath);
  });

  it('gives back what the command wrote, with its input, in its directory and environment', async () => {
    const dir = tempDir();
    const out = await runCommand('sh', ['-c', 'cat; pwd; echo "$ONLY"'], {
      cwd: dir,
      env: { ...env, ONLY: 'this' },
      input: 'from stdin\n',
    });
    expect(out).toBe(`from stdin\n${dir}\nthis\n`);
  });

  it('rejects with the exit code and what the command said on stderr', async () => {
    const failure = await runCommand('sh', ['-c', 'echo nope >&2; exit 3'], { cwd: '/', env }).catch(
      (error: CommandFailure) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as CommandFailure).code).toBe(3);
    expect((failure as CommandFailure).stderr).toBe('nope\n');
  });

  it('rejects with the error code of a command that cannot start', async () => {
    const failure = await runCommand('no-such-command-here', [], { cwd: '/', env }).catch(
      (error: CommandFailure) => error,
    );
    expect((failure as CommandFailure).code).toBe('ENOENT');
  });

  it('answers many commands at once, each with its own output', async () => {
    const outs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => runCommand('echo', [String(i)], { cwd: '/', env })),
    );
    expect(outs).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
  });

  it('starts a detached command and does not wait for it', async () => {
    const dir = tempDir();
    // It waits for a file that is only made once runCommand has returned: waiting for it would never end.
    await runCommand('sh', ['-c', 'while [ ! -e go ]; do sleep 0.02; done; echo done > marker'], {
      cwd: dir,
      env,
      detached: true,
    });
    await writeFile(path.join(dir, 'go'), '');
    const marker = path.join(dir, 'marker');
    for (let i = 0; i < 250 && !(await stat(marker).catch(() => undefined)); i++) await setTimeout(20);
    expect(await readFile(marker, 'utf8')).toBe('done\n');
  });

  it('lowers the priority of a command when asked', async () => {
    // It reads its input first, which comes once its priority has been set.
    const out = await runCommand('sh', ['-c', 'read line; cut -d " " -f 19 /proc/$$/stat'], {
      cwd: '/',
      env,
      input: 'go\n',
      niceness: 10,
    });
    expect(Number(out)).toBe(10);
  });
});
