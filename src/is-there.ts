import { stat } from 'node:fs/promises';

/** Whether `path` is there: only a missing one is not (one that cannot be looked at may still be). */
export async function isThere(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
}
