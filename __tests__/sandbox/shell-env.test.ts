import { shellEnvironment } from '../../src/sandbox/shell-env.js';

describe('shellEnvironment', () => {
  const runner = {
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: '/home/runner',
    CI: 'true',
    GITHUB_TOKEN: 'ghs_x',
    GITHUB_WORKSPACE: '/home/runner/work/repo',
    ANTHROPIC_API_KEY: 'sk-ant-x',
    ANTHROPIC_BASE_URL: 'http://gateway',
    LINEAR_API_KEY: 'lin_api_x',
    ACTIONS_RUNTIME_TOKEN: 'jwt',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
    'INPUT_ANTHROPIC-API-KEY': 'sk-ant-x',
    NPM_TOKEN: 'npm_x',
    AWS_SECRET_ACCESS_KEY: 'aws',
    LC_SECRET_TOKEN: 'looks allowed, is a secret',
    JAVA_HOME: '/usr/lib/jvm/17',
  };

  it('keeps only allowlisted variables and gives the shell its own home', () => {
    expect(shellEnvironment(runner, '/tmp/homes/bac-1')).toEqual({
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      CI: 'true',
      JAVA_HOME: '/usr/lib/jvm/17',
      HOME: '/tmp/homes/bac-1',
    });
  });
});
