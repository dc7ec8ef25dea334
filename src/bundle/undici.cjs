'use strict';
// What the bundle gets for `undici`: the real module, loaded at the first use of anything it exports rather than at
// start-up. @actions/http-client and @actions/github import it (a proxy agent, and fetch for GitHub's API) from
// module scope, which put its load (about 80 ms on a 2-core runner) before the agents' first request; nothing
// before that request talks to GitHub. The bundler still packs the real module, behind this require.
let real;
const load = () => (real ??= require('../../node_modules/undici/index.js'));

module.exports = new Proxy(
  {},
  {
    get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  },
);
