/**
 * Releases the version package.json names: checks that CHANGELOG.md's newest release is that version and that dist/
 * is what `npm run build` makes from these sources, then tags the commit `v<version>` and moves the major tag
 * (`v1`) to it, so `uses: parallel-agents/parallel-agents@v1` runs the newest 1.x.y.
 *
 *   tsx scripts/release.ts --dry-run [--tag v1.2.3]           checks, and prints the tags it would push
 *   tsx scripts/release.ts --tag v1.2.3 [--notes notes.md]    checks, tags, pushes, writes the release notes
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STAMP, sourceDigest } from './dist-stamp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Something that stops a release, in one line: what, where, how to fix. */
export class ReleaseError extends Error {}

/** What a release pushes: the version's own tag, the major tag it moves (none for a pre-release), and its notes. */
export interface Release {
  tag: string;
  major?: string;
  notes: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
// A release heading in Keep a Changelog's form: `## [1.2.3] - 2026-12-06`.
const HEADING = /^## \[([^\]]+)\]/gm;

/** The tags a release of `version` pushes: `v1.2.3` and `v1`; a pre-release (`1.3.0-rc.1`) moves no major tag. */
export function releaseTags(version: string): { tag: string; major?: string } {
  const match = SEMVER.exec(version);
  if (!match) {
    throw new ReleaseError(
      `package.json: version "${version}" is not a semantic version: write it as 1.2.3 (or 1.3.0-rc.1).`,
    );
  }
  return match[4] ? { tag: `v${version}` } : { tag: `v${version}`, major: `v${match[1]}` };
}

/** The sections of a changelog by heading (`Unreleased`, `1.0.0`, …), newest first, each with its text. */
function sections(changelog: string): { name: string; body: string }[] {
  const headings = [...changelog.matchAll(HEADING)];
  return headings.map((heading, i) => {
    const end = headings[i + 1]?.index ?? changelog.length;
    // Link definitions (`[1.0.0]: https://…`) close the last section.
    const body = changelog.slice(heading.index + heading[0].length, end).replace(/^\[[^\]]+\]:.*$/gm, '');
    return { name: heading[1]!, body: body.replace(/^[^\n]*\n/, '').trim() };
  });
}

/**
 * Checks that `version` (package.json's) is the newest release in `changelog`, and the `requested` tag (from the
 * pushed tag or the workflow's input) is its tag. `publishing` also refuses changes still listed under Unreleased,
 * which the tag would ship without saying so.
 */
export function planRelease(options: {
  version: string;
  changelog: string;
  requested?: string;
  publishing?: boolean;
}): Release {
  const { version, changelog, requested, publishing } = options;
  const tags = releaseTags(version);
  if (requested !== undefined && requested !== tags.tag) {
    throw new ReleaseError(
      `Tag ${requested} is not package.json's version ${version}: set "version" to ${requested.replace(/^v/, '')} ` +
        `in package.json (and a section for it in CHANGELOG.md), or release ${tags.tag}.`,
    );
  }
  const all = sections(changelog);
  const released = all.filter((s) => s.name.toLowerCase() !== 'unreleased');
  const newest = released[0];
  if (newest?.name !== version) {
    throw new ReleaseError(
      newest
        ? `CHANGELOG.md: the newest release is ${newest.name}, but package.json says ${version}: add a ` +
            `"## [${version}] - <date>" section above it, or set package.json's version to ${newest.name}.`
        : `CHANGELOG.md: no release section: add "## [${version}] - <date>" with what this release changes.`,
    );
  }
  if (!newest.body) {
    throw new ReleaseError(
      `CHANGELOG.md: the section for ${version} is empty: say what the release changes.`,
    );
  }
  const unreleased = all.find((s) => s.name.toLowerCase() === 'unreleased');
  if (publishing && unreleased?.body) {
    throw new ReleaseError(
      `CHANGELOG.md: changes are listed under Unreleased, and ${tags.tag} would ship them: move them into ` +
        `the ${version} section, or release a new version with them.`,
    );
  }
  return { ...tags, notes: `${newest.body}\n` };
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** Why dist/ is not what `npm run build` makes from the sources as committed, or undefined when it is. */
function distProblem(): string | undefined {
  const stamped = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : 'missing';
  if (stamped !== sourceDigest()) {
    return 'dist/ was built from other sources than src/: run `npm run build` and commit dist/.';
  }
  if (git('status', '--porcelain', '--', 'dist')) {
    return 'dist/ has changes that are not committed: commit dist/ (or restore it) before releasing.';
  }
  return undefined;
}

/** Tags HEAD with the release's tag (unless that tag is already HEAD's) and moves the major tag, then pushes both. */
function pushTags(release: Release): void {
  const head = git('rev-parse', 'HEAD');
  const tagged = git('tag', '--list', release.tag) ? git('rev-parse', `${release.tag}^{commit}`) : undefined;
  if (tagged && tagged !== head) {
    throw new ReleaseError(
      `Tag ${release.tag} already names ${tagged.slice(0, 12)}, not HEAD: a new release needs a new version.`,
    );
  }
  if (!tagged) git('tag', release.tag, head);
  git('push', 'origin', `refs/tags/${release.tag}`);
  if (release.major) {
    git('tag', '--force', release.major, head);
    git('push', '--force', 'origin', `refs/tags/${release.major}`);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean' }, tag: { type: 'string' }, notes: { type: 'string' } },
  });
  const dryRun = values['dry-run'] ?? false;
  if (!dryRun && !values.tag) {
    throw new ReleaseError('Name the tag to release with --tag v1.2.3, or check with --dry-run.');
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const release = planRelease({
    version,
    changelog: fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8'),
    requested: values.tag,
    publishing: !dryRun,
  });
  const problem = distProblem();
  if (problem) throw new ReleaseError(problem);
  if (values.notes) fs.writeFileSync(values.notes, release.notes);

  const tags = [release.tag, ...(release.major ? [`${release.major} (moved)`] : [])].join(', ');
  if (dryRun) {
    console.log(`Release ${release.tag}: package.json and CHANGELOG.md agree, dist/ is current.`);
    console.log(`Would push: ${tags}`);
    return;
  }
  pushTags(release);
  console.log(`Pushed: ${tags}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
