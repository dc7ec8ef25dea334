import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = path.join(ROOT, 'dist/sources.sha256');

/**
 * What `dist/` is built from: every file under `src/`, the locked dependencies, the TypeScript config (its `paths` pick
 * what the bundle gets for some modules) and the build command.
 */
export function sourceDigest(): string {
  const hash = createHash('sha256');
  const files = fs
    .readdirSync(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
  for (const file of [...files, 'package-lock.json', 'tsconfig.json']) {
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(ROOT, file)))
      .update('\0');
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  hash.update(pkg.scripts.build ?? '');
  return hash.digest('hex');
}

// `npm run build` stamps dist/ with the digest of what it was built from; the test suite compares.
if (process.argv[1] === fileURLToPath(import.meta.url)) fs.writeFileSync(STAMP, `${sourceDigest()}\n`);
