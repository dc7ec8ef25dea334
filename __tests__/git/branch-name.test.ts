import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { BRANCH_PREFIX, branchName } from '../../src/git/branch-name.js';

const execFileAsync = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd });
  return stdout.trim();
}

describe('branchName', () => {
  const titles = [
    'Fix model routing',
    '',
    'Ünïcödé café 🚀 emoji ✨',
    '🚀🚀🚀',
    '../../x',
    'a..b',
    'foo.lock',
    '-rf',
    'trailing dot.',
    'refs/heads/main @{0} ~^:?*[\\',
    'word '.repeat(40),
    'x'.repeat(200),
  ];

  it('is the prefix, the lower-cased id and a slug of the title', () => {
    expect(BRANCH_PREFIX).toBe('parallel-agents/');
    expect(branchName({ id: 'BAC-124', title: 'Fix model routing' })).toBe(
      'parallel-agents/bac-124-fix-model-routing',
    );
    expect(branchName({ id: 'BAC-7', title: 'Café: naïve résumé!' })).toBe(
      'parallel-agents/bac-7-cafe-naive-resume',
    );
  });

  it('is just the id when the title has nothing to slug', () => {
    expect(branchName({ id: 'BAC-124', title: '' })).toBe('parallel-agents/bac-124');
    expect(branchName({ id: 'BAC-124', title: '🚀 ✨' })).toBe('parallel-agents/bac-124');
  });

  it('cuts a long title at a word boundary', () => {
    const name = branchName({
      id: 'BAC-1',
      title: 'Make the scheduler honour retry after headers from the gateway',
    });
    expect(name).toBe('parallel-agents/bac-1-make-the-scheduler-honour-retry-after');
    expect(branchName({ id: 'BAC-1', title: 'x'.repeat(200) })).toBe(
      `parallel-agents/bac-1-${'x'.repeat(40)}`,
    );
  });

  it.each(titles)('is a valid branch name for the title %j', async (title) => {
    const name = branchName({ id: 'BAC-124', title });
    expect(name.startsWith('parallel-agents/bac-124')).toBe(true);
    expect(name.length).toBeLessThanOrEqual(BRANCH_PREFIX.length + 'bac-124-'.length + 40);
    await expect(git(tmpdir(), 'check-ref-format', '--branch', name)).resolves.toBe(name);
  });
});
