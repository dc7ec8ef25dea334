import fs from 'node:fs';
import { STAMP, sourceDigest } from '../scripts/dist-stamp.js';

describe('dist/', () => {
  // The end-to-end tests run dist/index.js: built from other sources, they would pass or fail for the wrong code.
  it('is built from the sources as they are now', () => {
    const stamped = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : 'missing';
    if (stamped !== sourceDigest()) {
      throw new Error('dist/ is stale: it was built from other sources than src/. Run `npm run build`.');
    }
    expect(stamped).toMatch(/^[0-9a-f]{64}$/);
  });
});
