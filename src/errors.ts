/**
 * A mistake in what the user gave the action: what is wrong, where, and how to fix it. `main` turns it into one
 * `setFailed` line with no stack trace; any other error is a bug and keeps its stack in the debug log.
 */
/** What an error says, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class InputError extends Error {
  constructor(
    readonly what: string,
    readonly where: string,
    readonly fix: string,
  ) {
    super(`${where}: ${what}. ${fix}`);
    this.name = 'InputError';
  }
}
