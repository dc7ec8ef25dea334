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

  it('adds prices from the pricing input to the built-in ones', () => {
    const { settings } = settingsFrom({
      'anthropic-api-key': 'sk-test',
      pricing: '{"gateway-model": {"input": 1, "output": 2}}',
      'max-cost-usd': '$12.50',
    });
    expect(settings.prices['gateway-model']).toEqual({ input: 1, output: 2 });
    expect(settings.prices['claude-sonnet-4-6']).toEqual({ input: 3, output: 15 });
    expect(settings.maxCostUsd).toBe(12.5);
  });

  it('says where the pricing input stops being JSON', () => {
    expect(errorFrom({ pricing: '{"m": {"input": 3 "output": 15}}' }).message).toMatch(
      /^input `pricing`: is not JSON \(.*\(line 1 column 19\)\)\. Give JSON prices/,
    );
  });

  it('opens a draft pull request per task and runs every task, unless told otherwise', () => {
    const base = { 'anthropic-api-key': 'sk-test', tasks: TASKS };
    expect(settingsFrom(base).settings).toMatchObject({ pullRequests: 'per-task', only: 'all' });
    expect(settingsFrom({ ...base, 'pull-requests': 'combined', only: 'failed' }).settings).toMatchObject({
      pullRequests: 'combined',
      only: 'failed',
    });
  });

  it('needs no API key to plan', () => {
    const { settings } = settingsFrom({ mode: 'plan', tasks: TASKS, 'max-shards': '3' });
    expect(settings).toMatchObject({ mode: 'plan', apiKey: '', maxShards: 3 });
  });

  it('masks the Linear key too', () => {
    const { masked } = settingsFrom({ 'anthropic-api-key': 'sk-test', 'linear-api-key': 'lin_api_x' });
    expect(masked).toEqual(['sk-test', 'lin_api_x']);
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
      'tasks-file': ' docs/tasks.yml ',
      'issue-number': '#42',
      shard: '2',
    });
    expect(settings).toMatchObject({
      tasksFile: 'docs/tasks.yml',
      issueNumber: 42,
      shard: 2,
      maxShards: 8,
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
      'input `anthropic-api-key`: is required. Pass `anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}` to the step, or set `mode: plan` for a dry run',
    ],
    [
      { 'max-cost-usd': 'ten' },
      'input `max-cost-usd`: "ten" is not an amount of dollars. Set it to a positive number such as 5 or 12.50, or leave it out for no budget',
    ],
    [
      { pricing: '{"m": 3}' },
      'input `pricing`: the price of "m" is not {"input": <number>, "output": <number>}. Give JSON prices in dollars per million tokens, e.g. {"my-model":{"input":3,"output":15}}',
    ],
    [
      { pricing: '{"m": {"input": 3, "output": 15, "cache": 1}}' },
      'input `pricing`: the price of "m" is not {"input": <number>, "output": <number>}. Give JSON prices in dollars per million tokens, e.g. {"my-model":{"input":3,"output":15}}',
    ],
    [
      { pricing: '[{"input": 3, "output": 15}]' },
      'input `pricing`: is not a JSON object. Give JSON prices in dollars per million tokens, e.g. {"my-model":{"input":3,"output":15}}',
    ],
    [
      { pricing: '{"m": {"input": 3, "output": -15}}' },
      'input `pricing`: the price of "m" is not {"input": <number>, "output": <number>}. Give JSON prices in dollars per million tokens, e.g. {"my-model":{"input":3,"output":15}}',
    ],
    [
      { mode: 'dry-run' },
      'input `mode`: "dry-run" is not one of run, plan, report. Use one of `run`, `plan`, `report` (default `run`)',
    ],
    [
      { mode: 'plan', shard: '2' },
      'input `shard`: is only read with `mode: run`, not `mode: plan`. Leave `shard` out of the plan step; pass it to the matrix jobs that run',
    ],
    [
      { shard: '0' },
      'input `shard`: "0" is not a whole number from 1 to 256. Set it to a whole number such as 1, or leave it out for the default (1)',
    ],
    [
      { 'max-shards': '300' },
      'input `max-shards`: "300" is not a whole number from 1 to 256. Set it to a whole number such as 8, or leave it out for the default (8)',
    ],
    [
      { 'issue-number': 'latest' },
      'input `issue-number`: "latest" is not an issue number. Give the number of an issue or pull request, such as 42, or leave it out to use the triggering one',
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
      { 'pull-requests': 'draft' },
      'input `pull-requests`: "draft" is not one of per-task, combined, none. Use one of `per-task`, `combined`, `none` (default `per-task`)',
    ],
    [
      { only: 'failures' },
      'input `only`: "failures" is not one of all, failed. Use one of `all`, `failed` (default `all`)',
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
