import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { planRelease, releaseTags, ReleaseError } from '../scripts/release.js';
import { ROOT } from '../support/run-action.js';

const changelog = (...versions: string[]) =>
  [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    ...versions.flatMap((v) => [`## [${v}] - 2026-12-06`, '', `### Added`, '', `- What ${v} brings.`, '']),
    ...versions.map((v) => `[${v}]: https://github.com/parallel-agents/parallel-agents/releases/tag/v${v}`),
    '',
  ].join('\n');

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;

describe('releaseTags', () => {
  it('tags the version and moves its major tag', () => {
    expect(releaseTags('1.2.3')).toEqual({ tag: 'v1.2.3', major: 'v1' });
    expect(releaseTags('0.4.0')).toEqual({ tag: 'v0.4.0', major: 'v0' });
  });

  it('moves no major tag for a pre-release', () => {
    expect(releaseTags('2.0.0-rc.1')).toEqual({ tag: 'v2.0.0-rc.1' });
  });

  it('refuses a version that is not semantic', () => {
    for (const bad of ['1.2', 'v1.2.3', '01.2.3', '1.2.3.4', '']) {
      expect(() => releaseTags(bad)).toThrow(ReleaseError);
    }
  });
});

describe('planRelease', () => {
  it('releases the newest changelog section, with its text as the notes', () => {
    const release = planRelease({ version: '1.1.0', changelog: changelog('1.1.0', '1.0.0') });

    expect(release).toEqual({ tag: 'v1.1.0', major: 'v1', notes: '### Added\n\n- What 1.1.0 brings.\n' });
  });

  it('refuses when package.json and the changelog name different versions, naming both', () => {
    expect(() => planRelease({ version: '1.2.0', changelog: changelog('1.1.0', '1.0.0') })).toThrow(
      'CHANGELOG.md: the newest release is 1.1.0, but package.json says 1.2.0',
    );
    expect(() => planRelease({ version: '1.0.0', changelog: changelog() })).toThrow(
      'CHANGELOG.md: no release section',
    );
  });

  it('refuses a tag that is not the version', () => {
    expect(() =>
      planRelease({ version: '1.1.0', changelog: changelog('1.1.0'), requested: 'v1.2.0' }),
    ).toThrow("Tag v1.2.0 is not package.json's version 1.1.0");
    expect(planRelease({ version: '1.1.0', changelog: changelog('1.1.0'), requested: 'v1.1.0' }).tag).toBe(
      'v1.1.0',
    );
  });

  it('refuses an empty section', () => {
    expect(() => planRelease({ version: '1.0.0', changelog: '## [1.0.0] - 2026-12-06\n\n' })).toThrow(
      'the section for 1.0.0 is empty',
    );
  });

  it('refuses to publish while changes are still listed as unreleased, but checks them in a dry run', () => {
    const pending = changelog('1.0.0').replace('## [Unreleased]\n', '## [Unreleased]\n\n- Something new.\n');

    expect(() => planRelease({ version: '1.0.0', changelog: pending, publishing: true })).toThrow(
      'changes are listed under Unreleased',
    );
    expect(planRelease({ version: '1.0.0', changelog: pending }).tag).toBe('v1.0.0');
  });
});

describe('this repository', () => {
  it('has a changelog whose newest release is package.json’s version', () => {
    expect(planRelease({ version, changelog: read('CHANGELOG.md') }).tag).toBe(`v${version}`);
  });

  // What a user writes after `@` must be a tag the release process makes.
  it('refers to the action by the major tag this version’s release moves', () => {
    const { major } = releaseTags(version);
    const files = [
      'README.md',
      ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`),
      ...fs.readdirSync(path.join(ROOT, 'examples/workflows')).map((f) => `examples/workflows/${f}`),
    ];
    const refs = files.flatMap((file) =>
      [...read(file).matchAll(/parallel-agents\/parallel-agents@([\w.-]+)/g)].map((m) => `${file}: @${m[1]}`),
    );

    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !ref.endsWith(`@${major}`))).toEqual([]);
  });

  it('stops the script with one line when the tag asked for is not the version', async () => {
    const run = promisify(execFile)(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/release.ts', '--dry-run', '--tag', 'v0.0.1'],
      { cwd: ROOT },
    );

    await expect(run).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(
        new RegExp(`^Tag v0\\.0\\.1 is not package\\.json's version ${version}: [^\\n]*\\n$`),
      ),
    });
  });
});
