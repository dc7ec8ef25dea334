import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('what the bundle gets for undici', () => {
  // In a process of its own, so that no other test's undici counts.
  const probe = (use: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '-e',
          `const shim = require('./src/bundle/undici.cjs');
           const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/undici/'));
           const before = loaded();
           const used = ${use};
           const real = require('undici');
           console.log(JSON.stringify({ before, after: loaded(), same: used === real.${use.replace('shim.', '')} }));`,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      ),
    ) as { before: boolean; after: boolean; same: boolean };

  it('loads undici at the first use of what it exports, not before', () => {
    expect(probe('shim.fetch')).toEqual({ before: false, after: true, same: true });
    expect(probe('shim.ProxyAgent')).toEqual({ before: false, after: true, same: true });
  });

  it('is what the bundler resolves undici to', () => {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    expect(config.compilerOptions.paths.undici).toEqual(['./src/bundle/undici.cjs']);
  });
});
