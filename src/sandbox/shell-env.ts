/**
 * The environment of an agent's shell: an allowlist, never the runner's own environment, which holds the job's
 * tokens. A name on the list is still dropped when it looks like a secret.
 */
const ALLOWED = new Set([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'USER',
  'LOGNAME',
  'SHELL',
  'CI',
  'RUNNER_OS',
  'RUNNER_ARCH',
  'JAVA_HOME',
  'GOROOT',
  'GOPATH',
  'CARGO_HOME',
  'RUSTUP_HOME',
  'PYENV_ROOT',
  'NVM_DIR',
]);
const ALLOWED_PREFIXES = ['LC_'];

// Whatever the list says, these never reach a shell.
const DENIED_PREFIXES = ['GITHUB_TOKEN', 'ANTHROPIC_', 'LINEAR_', 'ACTIONS_', 'INPUT_'];
const SECRET_LOOKING = /TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE|AUTH|COOKIE|SESSION/i;

/** The variables an agent's shell sees: allowed ones from `env`, and its own `HOME`. */
export function shellEnvironment(env: NodeJS.ProcessEnv, home: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !isAllowed(name)) continue;
    out[name] = value;
  }
  // A home of its own: the runner's may hold credentials (~/.git-credentials, ~/.npmrc, ~/.docker/config.json).
  out.HOME = home;
  return out;
}

function isAllowed(name: string): boolean {
  const upper = name.toUpperCase();
  if (DENIED_PREFIXES.some((p) => upper.startsWith(p)) || SECRET_LOOKING.test(upper)) return false;
  return ALLOWED.has(upper) || ALLOWED_PREFIXES.some((p) => upper.startsWith(p));
}
