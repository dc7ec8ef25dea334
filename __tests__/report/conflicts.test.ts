import type { MergeCheck } from '../../src/checks.js';
import { renderMergeCheck } from '../../src/report/conflicts.js';

function check(ids: string[], overrides: Partial<MergeCheck> = {}): MergeCheck {
  return {
    branches: ids.map((task) => ({ task, branch: `parallel-agents/${task.toLowerCase()}` })),
    conflicts: [],
    order: ids,
    leftOut: [],
    ...overrides,
  };
}

describe('renderMergeCheck', () => {
  it('says nothing when fewer than two branches changed', () => {
    expect(renderMergeCheck(check([]))).toBe('');
    expect(renderMergeCheck(check(['BAC-1']))).toBe('');
  });

  it('draws the matrix, the pairs in conflict with their files, the order and what was left out', () => {
    const text = renderMergeCheck(
      check(['BAC-1', 'BAC-2', 'BAC-3'], {
        conflicts: [{ tasks: ['BAC-2', 'BAC-3'], files: ['src/router.ts'] }],
        order: ['BAC-1', 'BAC-2'],
        leftOut: [{ task: 'BAC-3', reason: 'conflicts with BAC-2 in src/router.ts' }],
      }),
    );
    expect(text).toBe(
      [
        '### Merge check',
        '1 pair of the 3 changed branches conflicts (`git merge-tree`).',
        [
          '| | BAC-1 | BAC-2 | BAC-3 |',
          '| --- | :---: | :---: | :---: |',
          '| **BAC-1** |  | ✅ | ✅ |',
          '| **BAC-2** | ✅ |  | ❌ |',
          '| **BAC-3** | ✅ | ❌ |  |',
        ].join('\n'),
        '- **BAC-2** × **BAC-3**: src/router.ts',
        '**Merge order that works:** **BAC-1** → **BAC-2**',
        '**Left out of the merge order:**\n- **BAC-3**: conflicts with BAC-2 in src/router.ts',
      ].join('\n\n'),
    );
  });

  it('names the combined branch', () => {
    const text = renderMergeCheck(
      check(['BAC-1'], { combined: { branch: 'parallel-agents/combined-7', commit: 'c'.repeat(40) } }),
    );
    expect(text).toContain(
      '**Combined branch:** `parallel-agents/combined-7` holds 1 branch, merged in that order.',
    );
  });

  it('lists only the conflicting pairs when there are too many branches for a matrix', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `BAC-${i + 1}`);
    const conflicts = ids
      .slice(1)
      .map((id) => ({ tasks: ['BAC-1', id] as [string, string], files: ['a.ts'] }));
    const text = renderMergeCheck(check(ids, { conflicts, order: ids.slice(1) }));
    expect(text).not.toContain(':---:');
    expect(text).toContain('29 pairs of the 30 changed branches conflict');
    expect(text).toContain('- **BAC-1** × **BAC-30**: a.ts');
  });

  it('keeps untrusted file names and reasons inside their table cells and notifying nobody', () => {
    const text = renderMergeCheck(
      check(['BAC-1', 'BAC-2'], {
        conflicts: [{ tasks: ['BAC-1', 'BAC-2'], files: ['a|b <img src=x>.md', '@team.md'] }],
        order: ['BAC-1'],
        leftOut: [{ task: 'BAC-2', reason: 'conflicts with BAC-1 in a|b <img src=x>.md' }],
      }),
    );
    expect(text).not.toContain('<img');
    expect(text).not.toMatch(/@team/);
    expect(text).toContain('a\\|b');
  });
});
