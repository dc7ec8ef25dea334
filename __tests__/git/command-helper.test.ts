import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { runCommand, type CommandFailure } from '../../src/git/command-helper.js';
import { tempDir } from '../../support/git-repo.js';

const env = { PATH: process.env.PATH ?? '' };

/** The parent of process `pid`, from `/proc` (the field after the name, which ends at the last `)`). */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('runCommand', () => {
  it('starts commands from a shell of its own, not from this process', async () => {
    // The command's parent is the job that waits for it, a fork of the helper's shell; it prints that shell's pid.
    const script = 'cut -d " " -f 4 /proc/$PPID/stat';
    const shell = Number(await runCommand('sh', ['-c', script], { cwd: '/', env }));
    expect(shell).not.toBe(process.pid);
    expect(await parentOf(shell)).toBe(process.pid);
    expect((await readFile(`/proc/${shell}/cmdline`, 'utf8')).split('\0')).toEqual(['/bin/sh', '-s', '']);
  });

  it('runs commands side by side', async () => {
    // Each waits until all have started: only commands that overlap can all end.
    const dir = tempDir();
    const wait =
      'touch "started-$1"; for i in $(seq 500); do [ $(ls | wc -l) -ge 8 ] && exit 0; sleep 0.01; done; exit 1';
    const outs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runCommand('sh', ['-c', wait, 'sh', String(i)], { cwd: dir, env })),
    );
    expect(outs).toEqual(Array(8).fill(''));
  });

  it('passes every argument verbatim, and the command only the environment it is given', async () => {
    process.env.PARALLEL_AGENTS_SECRET = 'not for commands';
    try {
      const args = ["it's", 'two words', 'a\nnewline', '$HOME `id` "quoted" \\', '', '-n'];
      const options = { cwd: '/', env: { ...env, ONLY: "this 'one'" } };
      expect(await runCommand('printf', ['%s|', ...args], options)).toBe(`${args.join('|')}|`);
      const environment = (await runCommand('env', [], options)).split('\n').filter(Boolean).sort();
      expect(environment).toEqual([`ONLY=this 'one'`, `PATH=${env.PATH}`]);
    } finally {
      delete process.env.PARALLEL_AGENTS_SECRET;
    }
  });

  it('starts a command from this process when the shell cannot pass on its environment', async () => {
    // A name no shell can export; the command still gets it, as a spawn passes any.
    const odd = { ...env, 'NAME-WITH-DASH': 'kept' };
    const parent = await runCommand('sh', ['-c', 'echo $PPID; cat'], { cwd: '/', env: odd, input: 'in\n' });
    expect(parent).toBe(`${process.pid}\nin\n`);
    expect((await runCommand('env', [], { cwd: '/', env: odd })).split('\n')).toContain(
      'NAME-WITH-DASH=kept',
    );
    const failure = await runCommand('sh', ['-c', 'exit 4'], { cwd: '/', env: odd }).catch(
      (error: CommandFailure) => error,
    );
    expect((failure as CommandFailure).code).toBe(4);
  });

  it('gives a command none of what an earlier one wrote', async () => {
    for (let i = 0; i < 3; i++) {
      const failure = await runCommand('sh', ['-c', `echo out ${i}; echo err ${i} >&2; exit 2`], {
        cwd: '/',
        env,
        input: `in ${i}\n`,
      }).catch((error: CommandFailure) => error);
      expect(failure).toMatchObject({ code: 2, stdout: `out ${i}\n`, stderr: `err ${i}\n` });
      expect(await runCommand('cat', [], { cwd: '/', env })).toBe('');
      await expect(runCommand('sh', ['-c', 'exit 3'], { cwd: '/', env })).rejects.toMatchObject({
        code: 3,
        stdout: '',
        stderr: '',
      });
    }
  });

  it('rejects with ENOENT when the directory is not there, running nothing', async () => {
    const dir = tempDir();
    const failure = await runCommand('touch', [path.join(dir, 'ran')], {
      cwd: path.join(dir, 'missing'),
      env,
    }).catch((error: CommandFailure) => error);
    expect((failure as CommandFailure).code).toBe('ENOENT');
    await expect(stat(path.join(dir, 'ran'))).rejects.toThrow(/ENOENT/);
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
