import {
  globDirectories,
  globsOverlap,
  overlapCandidates,
  overlappingGlobs,
  pathsConflict,
} from '../../src/tasks/globs.js';

describe('globsOverlap', () => {
  const overlapping: [string, string][] = [
    ['src/gateway/**', 'src/gateway/router.ts'],
    ['**/*.md', 'docs/**'],
    ['src/{a,b}.ts', 'src/b.ts'],
    ['src/*.ts', 'src/?.ts'],
    ['src/[abc].ts', 'src/b.ts'],
    ['src/[a-c].ts', 'src/[b-z].ts'],
    ['src/[!a].ts', 'src/b.ts'],
    ['src/gateway/', 'src/gateway/router.ts'],
    ['src/gateway', 'src/gateway/deep/router.ts'],
    ['./src/a.ts', 'src/a.ts'],
    ['/src/a.ts', 'src/./a.ts'],
    ['**', 'anything/at/all.txt'],
    ['src/**/test/*.ts', 'src/a/b/test/x.ts'],
    ['src/**/*.ts', 'src/x.ts'],
    ['*.config.js', 'jest.config.js'],
    ['src/*-router.ts', 'src/gateway-*.ts'],
    ['src/{gateway,api}/**', 'src/api/v1/index.ts'],
    ['src/{a,{b,c}}.ts', 'src/c.ts'],
    ['src/file{1..3}.ts', 'src/file2.ts'],
    ['.github', '.github/workflows/ci.yml'],
    ['Makefile', 'Makefile'],
    ['src/+(a|b).ts', 'src/aab.ts'],
    ['src/[[:alpha:]].ts', 'src/x.ts'],
    ['../outside/**', 'src/a.ts'],
    ['!src/**', 'docs/a.md'],
    ['src/a\\*.ts', 'src/a*.ts'],
  ];
  const disjoint: [string, string][] = [
    ['src/**', 'docs/x.md'],
    ['src/*.ts', 'src/a/b.ts'],
    ['src/{a,b}.ts', 'src/c.ts'],
    ['src/[abc].ts', 'src/d.ts'],
    ['src/[a-c].ts', 'src/[d-f].ts'],
    ['src/[!a].ts', 'src/a.ts'],
    ['src/*.ts', 'src/*.md'],
    ['src/?.ts', 'src/ab.ts'],
    ['docs/', 'src/docs/a.md'],
    ['src/gateway/**', 'src/gateways/a.ts'],
    ['**/*.md', 'src/a.ts'],
    ['src/file{1..3}.ts', 'src/file4.ts'],
    ['src/a\\*.ts', 'src/ab.ts'],
    ['src/a.ts', 'src/A.ts'],
    ['src/*', 'src/a/b.ts'],
    ['src/router.ts', '**/*.md'],
  ];

  it.each(overlapping)('says %s and %s can match the same path', (a, b) => {
    expect(globsOverlap(a, b)).toBe(true);
    expect(globsOverlap(b, a)).toBe(true);
  });

  it.each(disjoint)('says %s and %s never match the same path', (a, b) => {
    expect(globsOverlap(a, b)).toBe(false);
    expect(globsOverlap(b, a)).toBe(false);
  });

  it('takes a brace with too many alternatives to match everything', () => {
    const many = `src/{${Array.from({ length: 40 }, (_, i) => `a${i}`).join(',')}}/{${Array.from(
      { length: 40 },
      (_, i) => `b${i}`,
    ).join(',')}}.ts`;
    expect(globsOverlap(many, 'docs/readme.md')).toBe(true);
  });

  it('answers quickly for globs full of stars', () => {
    const started = Date.now();
    expect(globsOverlap('**/a*b*c*d*e*f*g*.ts', '**/*z*y*x*w*.ts')).toBe(true);
    expect(globsOverlap(`${'*/'.repeat(30)}*.ts`, `${'**/'.repeat(30)}x.md`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('pathsConflict', () => {
  it('finds a conflict when any glob of one overlaps any glob of the other', () => {
    expect(pathsConflict(['docs/**', 'src/gateway/**'], ['src/gateway/router.ts'])).toBe(true);
  });

  it('finds none between disjoint lists', () => {
    expect(pathsConflict(['docs/**', 'README.md'], ['src/**', 'package.json'])).toBe(false);
  });

  it('finds none for a task that names no paths', () => {
    expect(pathsConflict([], ['**'])).toBe(false);
  });

  it('leaves negated globs out, as they only narrow a list', () => {
    expect(pathsConflict(['src/**', '!src/gen/**'], ['docs/**'])).toBe(false);
    expect(pathsConflict(['!src/gen/**'], ['docs/**'])).toBe(true);
  });

  it('says which globs overlap', () => {
    expect(overlappingGlobs(['docs/**', 'src/*.ts'], ['lib/**', 'src/main.ts'])).toEqual([
      'src/*.ts',
      'src/main.ts',
    ]);
  });
});

describe('overlapCandidates', () => {
  it('pairs each list only with the lists on its own branch of directories', () => {
    const lists = [
      ['src/gateway/**'],
      ['docs/**'],
      ['src/**/*.ts'],
      ['**/*.md'],
      ['src/gateway/router.ts'],
      [],
    ];
    expect(overlapCandidates(lists)).toEqual([
      [0, 2, 3, 4],
      [1, 3],
      [0, 2, 3, 4],
      [0, 1, 2, 3, 4],
      [0, 2, 3, 4],
      [],
    ]);
  });

  it('never misses a pair that overlaps', () => {
    const globs = [
      'src/a/**',
      'src/*/x.ts',
      'src/a/x.ts',
      'docs/*.md',
      '**/x.ts',
      'docs',
      'src/{a,b}/y.ts',
      '*',
    ];
    const lists = globs.flatMap((a) => globs.map((b) => [a, b]));
    const candidates = overlapCandidates(lists);
    lists.forEach((a, i) =>
      lists.forEach((b, j) => {
        if (pathsConflict(a, b)) expect(candidates[i]).toContain(j);
      }),
    );
  });
});

describe('globDirectories', () => {
  it('gives the plain directories that hold every path the globs name', () => {
    expect(globDirectories(['src/gateway/**'])).toEqual(['src/gateway']);
    expect(globDirectories(['src/gateway/*.ts', './src/gateway/'])).toEqual(['src/gateway']);
    expect(globDirectories(['src/{a,b}/x.ts'])).toEqual(['src/a', 'src/b']);
    expect(globDirectories(['src/router.ts'])).toEqual(['src']);
    expect(globDirectories(['src/**/x.ts', 'src/a/**', 'srcs/**'])).toEqual(['src', 'srcs']);
  });

  it('gives none when a path may lie at the top of the repository', () => {
    for (const glob of ['*.md', '**', 'README.md', '!src/**', '../x/**']) {
      expect(globDirectories([glob])).toBeNull();
    }
    expect(globDirectories(['src/**', '*.json'])).toBeNull();
    // A plain name may be a directory; a cone of it also holds the file of that name at the top.
    expect(globDirectories(['Makefile'])).toEqual(['Makefile']);
  });
});
