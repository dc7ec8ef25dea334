import { InputError } from '../src/errors.js';
import { readSettings } from '../src/settings.js';

const TASKS = '- BAC-1: One task';

function settingsFrom(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const masked: string[] = [];
  const settings = readSettings(
    (name) => inputs[name] ?? '',
    env,
    (v) => masked.push(v),
  );
  return { settings, masked };
}

function errorFrom(inputs: Record<string, string>): InputError {
  try {
    settingsFrom({ 'anthropic-api-key': 'sk-test', tasks: TASKS, ...inputs });
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    const { settings } = settingsFrom(
      { 'anthropic-api-key': 'sk-test', tasks: TASKS },
      { GITHUB_WORKSPACE: '/w' },
    );
    expect(settings).toMatchObject({
      model: 'claude-sonnet-4-6',
      maxConcurrency: 4,
      maxTurns: 40,
      timeoutMs: 20 * 60_000,
      allowedTools: ['read', 'write', 'edit', 'glob', 'grep'],
      failOn: 'any',
      workspace: '/w',
    });
    expect(settings.baseUrl).toBeUndefined();
  });

  it('masks the API key and the GitHub token before validating anything else', () => {
    const masked: string[] = [];
    expect(() =>
      readSettings(
        (name) =>
          ({ 'anthropic-api-key': 'sk-secret', 'github-token': 'ghs_tok', 'max-turns': 'x' })[name] ?? '',
        {},
        (v) => masked.push(v),
      ),
    ).toThrow(InputError);
    expect(masked).toEqual([
      'sk-secret',
      'ghs_tok',
      Buffer.from('x-access-token:ghs_tok').toString('base64'),
    ]);
  });

  it('reads every input it is given', () => {
    const { settings } = settingsFrom({
      'anthropic-api-key': 'sk-test',
      'anthropic-base-url': 'http://127.0.0.1:9999/',
      tasks: TASKS,
      model: 'claude-opus-4-8',
      'max-concurrency': '10',
      'max-turns': '8',
      'timeout-minutes': '0.5',
      'allowed-tools': 'read, grep,bash',
      instructions: ' Be brief. ',
      'fail-on': 'none',
    });
    expect(settings).toMatchObject({
      baseUrl: 'http://127.0.0.1:9999',
      model: 'claude-opus-4-8',
      maxConcurrency: 10,
      maxTurns: 8,
      timeoutMs: 30_000,
      allowedTools: ['read', 'grep', 'bash'],
      instructions: 'Be brief.',
      failOn: 'none',
    });
  });

  it.each([
    [
      { 'anthropic-api-key': '' },
      'input `anthropic-api-key`: is required. Pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the step',
    ],
    [
      { tasks: '  ' },
      'input `tasks`: no tasks were given. List the tasks as Markdown items that start with an id, e.g. `- BAC-124: Fix model routing`',
    ],
    [
      { 'max-concurrency': '0' },
      'input `max-concurrency`: "0" is not a whole number from 1 to 256. Set it to a whole number such as 4, or leave it out for the default (4)',
    ],
    [
      { 'max-concurrency': 'four' },
      'input `max-concurrency`: "four" is not a whole number from 1 to 256. Set it to a whole number such as 4, or leave it out for the default (4)',
    ],
    [
      { 'max-turns': '2.5' },
      'input `max-turns`: "2.5" is not a whole number from 1 to 1000. Set it to a whole number such as 40, or leave it out for the default (40)',
    ],
    [
      { 'timeout-minutes': '-3' },
      'input `timeout-minutes`: "-3" is not a number from 0.01 to 360. Set it to a number such as 20, or leave it out for the default (20)',
    ],
    [
      { 'allowed-tools': 'read,curl' },
      'input `allowed-tools`: unknown tool "curl". List tools from read, write, edit, glob, grep, bash, separated by commas',
    ],
    [
      { 'allowed-tools': ',' },
      'input `allowed-tools`: lists no tool. List tools from read, write, edit, glob, grep, bash, separated by commas',
    ],
    [
      { 'fail-on': 'some' },
      'input `fail-on`: "some" is not one of any, all, none. Use one of `any`, `all`, `none` (default `any`)',
    ],
    [
      { 'anthropic-base-url': 'ftp://x' },
      'input `anthropic-base-url`: "ftp://x" is not an http(s) URL. Give the endpoint as a full URL such as https://gateway.example.com, or leave it out',
    ],
  ])('rejects %j with one line that names the input and the fix', (inputs, message) => {
    const error = errorFrom(inputs);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });
});
