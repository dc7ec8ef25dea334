import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './git-repo.js';

/** The real bubblewrap, which the stand-in runs once user namespaces are allowed. */
export const REAL_BWRAP = '/usr/bin/bwrap';
const RESTRICTION = 'kernel.apparmor_restrict_unprivileged_userns';

export interface UbuntuRunnerOptions {
  /** `missing` as on GitHub's image: `apt-get install` puts it in place; `installed`: on PATH from the start. */
  bwrap: 'missing' | 'installed';
  /** `refused`: `apparmor_parser` cannot load a profile (as in a container, or with AppArmor off). */
  profile?: 'loads' | 'refused';
  /** `refused`: `sudo` asks for a password (a runner user without passwordless sudo). */
  sudo?: 'passwordless' | 'refused';
  /** `hangs`: `apt-get` never answers (a held dpkg lock, a mirror that does not reply). */
  aptGet?: 'answers' | 'hangs';
}

export interface UbuntuRunner {
  /** The `PATH` to run with: the stand-ins first, then this machine's commands (without its `bwrap`). */
  path: string;
  /** Where the stand-ins are, and where `apt-get` installs `bwrap`. */
  bin: string;
  /** Each command `sudo` ran, one line each, as its words joined by spaces. */
  sudoCalls: () => string[];
  /** What allowed `bwrap` to make user namespaces (`profile` or `sysctl`), if anything did. */
  lifted: () => string | undefined;
  /** The last profile `apparmor_parser` loaded. */
  loadedProfile: () => string | undefined;
}

/**
 * Stand-ins for `sudo`, `sysctl`, `apparmor_parser`, `apt-get` and `bwrap` that answer as GitHub's Ubuntu 24.04 image
 * does: the runner user has passwordless `sudo`, the package lists do not hold `bubblewrap` until `apt-get update`,
 * and AppArmor keeps `bwrap` from making user namespaces until a profile for it is loaded or the sysctl is turned
 * off. Once allowed, `bwrap` is the real one, so what runs in it really runs in a sandbox.
 */
export function ubuntuRunner(options: UbuntuRunnerOptions): UbuntuRunner {
  const dir = tempDir('pa-ubuntu-');
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  for (const made of [bin, state]) fs.mkdirSync(made);
  const bwrap = path.join(bin, 'bwrap');
  const pool = path.join(dir, 'bwrap.deb');
  const file = (name: string) => path.join(state, name);
  const script = (target: string, body: string) =>
    fs.writeFileSync(target, `#!/bin/sh\nPATH="$PATH:/usr/bin:/bin"\n${body}`, { mode: 0o755 });

  script(
    pool,
    `if [ -e '${file('lifted')}' ]; then exec ${REAL_BWRAP} "$@"; fi
echo 'bwrap: setting up uid map: Permission denied' >&2
exit 1
`,
  );
  if (options.bwrap === 'installed') fs.copyFileSync(pool, bwrap);

  script(
    path.join(bin, 'sudo'),
    options.sudo === 'refused'
      ? `echo 'sudo: a password is required' >&2\nexit 1\n`
      : `[ "$1" = -n ] && shift
echo "$*" >> '${file('sudo.log')}'
STANDIN_ROOT=1 exec "$@"
`,
  );

  const notRoot = (message: string, code: number) =>
    `[ -n "$STANDIN_ROOT" ] || { echo '${message}' >&2; exit ${code}; }\n`;
  script(
    path.join(bin, 'apt-get'),
    notRoot('E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)', 100) +
      (options.aptGet === 'hangs' ? 'exec sleep 600\n' : '') +
      `case "$*" in
  update) touch '${file('apt-lists')}'; echo 'Reading package lists... Done' ;;
  'install -y bubblewrap')
    [ -e '${file('apt-lists')}' ] || { echo 'E: Unable to locate package bubblewrap' >&2; exit 100; }
    cp '${pool}' '${bwrap}'; echo 'Setting up bubblewrap (0.9.0-1ubuntu0.1) ...' ;;
  *) echo "E: Invalid operation $1" >&2; exit 100 ;;
esac
`,
  );

  script(
    path.join(bin, 'sysctl'),
    `case "$1 $2" in
  '-n ${RESTRICTION}') if [ "$(cat '${file('lifted')}' 2>/dev/null)" = sysctl ]; then echo 0; else echo 1; fi ;;
  '-w ${RESTRICTION}=0')
    ${notRoot(`sysctl: permission denied on key "${RESTRICTION}"`, 255)}
    echo sysctl > '${file('lifted')}'; echo '${RESTRICTION} = 0' ;;
  *) echo "sysctl: cannot stat /proc/sys/$2: No such file or directory" >&2; exit 255 ;;
esac
`,
  );

  // Loads only the profile that lets this bwrap make user namespaces, as the kernel would attach it.
  const refused = `echo 'apparmor_parser: Unable to replace "bwrap".  Permission denied; attempted to load a profile while confined?' >&2; exit 243`;
  script(
    path.join(bin, 'apparmor_parser'),
    notRoot('apparmor_parser: Access denied. You need policy admin privileges to manage profiles.', 1) +
      (options.profile === 'refused'
        ? `${refused}\n`
        : `[ "$1" = -r ] && [ -f "$2" ] || { echo "apparmor_parser: unexpected $*" >&2; exit 1; }
cp "$2" '${file('profile')}'
grep -qxF 'abi <abi/4.0>,' "$2" && grep -qxF 'include <tunables/global>' "$2" || { echo "AppArmor parser error for $2: no abi" >&2; exit 1; }
grep -qxF 'profile bwrap ${bwrap} flags=(unconfined) {' "$2" && grep -qxF '  userns,' "$2" || exit 0
echo profile > '${file('lifted')}'
`),
  );

  const read = (name: string) => {
    const text = fs.existsSync(file(name)) ? fs.readFileSync(file(name), 'utf8') : undefined;
    return text;
  };
  return {
    path: `${bin}:${withoutBwrap(dir, process.env.PATH ?? '')}`,
    bin,
    sudoCalls: () => (read('sudo.log') ?? '').split('\n').filter(Boolean),
    lifted: () => read('lifted')?.trim(),
    loadedProfile: () => read('profile'),
  };
}

/**
 * `searchPath` with the directories that hold a `bwrap` replaced by links to everything else in them, so that the
 * stand-in is the only `bwrap` to be found.
 */
function withoutBwrap(dir: string, searchPath: string): string {
  return searchPath
    .split(':')
    .filter((entry) => path.isAbsolute(entry))
    .map((entry, index) => {
      if (!fs.existsSync(path.join(entry, 'bwrap'))) return entry;
      const links = path.join(dir, `path-${index}`);
      fs.mkdirSync(links);
      for (const name of fs.readdirSync(entry)) {
        if (name !== 'bwrap') fs.symlinkSync(path.join(entry, name), path.join(links, name));
      }
      return links;
    })
    .join(':');
}
