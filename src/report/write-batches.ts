import type { Writable } from 'node:stream';

/**
 * Holds a stream's writes for up to `ms` and then lets them out together. Every write to a file or pipe hands the
 * thread to another (a file system worker, the reader of the pipe) on a busy machine; a burst of events when several
 * agents' turns end together becomes one write instead of dozens. Order is kept: the stream's own buffer holds them.
 */
export function writeBatches(stream: Writable, ms: number): { hold: () => void; flush: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (!timer) return;
    clearTimeout(timer);
    timer = undefined;
    stream.uncork();
  };
  return {
    /** Called before each write: the first of a batch starts it. */
    hold: () => {
      if (timer) return;
      stream.cork();
      // Never what keeps the process alive; whoever ends the stream, or the process, lets the rest out.
      timer = setTimeout(flush, ms).unref();
    },
    flush,
  };
}
