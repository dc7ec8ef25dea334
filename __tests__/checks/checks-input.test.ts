import { shellSandbox } from '../../src/sandbox/sandbox.js';
import { shellUser } from '../../src/checks/verify.js';
import { InputError } from '../../src/errors.js';
import { readSettings } from '../../src/settings.js';

const BASE = { 'anthropic-api-key': 'sk-test', tasks: '- BAC-1: One task' };

function settingsFrom(inputs: Record<string, string>) {
  return readSettings((name) => ({ ...BASE, ...inputs })[name] ?? '', {});
}

function errorFrom(inputs: Record<string, string>): string {
  try {
    settingsFrom(inputs);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('the setup and verify inputs', () => {
  it('run nothing by default, and give one fix-up round of up to ten minutes when verify is set', () => {
    expect(settingsFrom({}).checks).toEqual({
      setup: '',
      verify: '',
      verifyTimeoutMs: 600_000,
      verifyRetries: 1,
    });
    expect(
      settingsFrom({
        setup: ' npm ci\n',
        verify: 'npm test -- --reporter=dot',
        'verify-timeout-minutes': '2.5',
        'verify-retries': '0',
      }).checks,
    ).toEqual({
      setup: 'npm ci',
      verify: 'npm test -- --reporter=dot',
      verifyTimeoutMs: 150_000,
      verifyRetries: 0,
    });
  });

  it('refuse a retry count or a timeout that is no number in one line: what, where, how to fix', () => {
    expect(errorFrom({ 'verify-retries': 'twice' })).toBe(
      'input `verify-retries`: "twice" is not a whole number from 0 to 5. Set it to a whole number such as 1, or leave it out for the default (1)',
    );
    expect(errorFrom({ 'verify-retries': '9' })).toMatch(
      /^input `verify-retries`: "9" is not a whole number/,
    );
    expect(errorFrom({ 'verify-timeout-minutes': '0' })).toMatch(
      /^input `verify-timeout-minutes`: "0" is not a number from 0.01 to 360\. /,
    );
  });

  it('need the shell sandbox, and name themselves when it cannot start', () => {
    const checks = settingsFrom({ verify: 'npm test', setup: 'npm ci' }).checks;
    expect(shellUser(['read', 'bash'], checks)).toBe('`bash` in `allowed-tools`');
    expect(shellUser(['read'], checks)).toBe('input `verify`');
    expect(shellUser(['read'], { ...checks, verify: '' })).toBe('input `setup`');
    expect(shellUser(['read'], { ...checks, verify: '', setup: '' })).toBeUndefined();
    const missing = {
      available: false as const,
      reason: 'bubblewrap (`bwrap`) is not installed',
      fix: 'Install it',
    };
    expect(() => shellSandbox('auto', true, missing, 'input `verify`')).toThrow(
      'input `verify`: cannot run in its sandbox: bubblewrap (`bwrap`) is not installed. Install it, or set `sandbox: none` to run it without one',
    );
  });
});
