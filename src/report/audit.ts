import fs from 'node:fs';
import path from 'node:path';
import type { EventStream, RunEvent } from '../events.js';
import type { AgentResult } from '../agents/result.js';

/** Longest tool output kept per event; the rest is cut with a note. A log is for reading, not for replaying. */
const OUTPUT_CHARS = 8_000;

/**
 * Every event as one JSON line in `file`, for upload as an artifact. Known secret values are replaced wherever they
 * appear, including in what tools printed. `close` flushes and ends the file.
 */
export function openAuditLog(
  events: EventStream,
  file: string,
  secrets: readonly string[],
): { close: () => Promise<void> } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file, { flags: 'a' });
  const redact = redactor(secrets);
  // Redacted before it is cut, so no secret survives in part at the cut.
  const stop = events.on((event) => out.write(`${JSON.stringify(trimmed(redactEvent(event, redact)))}\n`));
  // A log that cannot be written must not take the run down; closing says what went wrong.
  let failed: Error | undefined;
  out.on('error', (error) => (failed = error));
  return {
    close: () =>
      new Promise((resolve, reject) => {
        stop();
        if (failed) return reject(failed);
        out.end(() => (failed ? reject(failed) : resolve()));
      }),
  };
}

/** One `<id>.json` per task in `dir`: what a later `report` step (or a person) reads back. */
export function writeResultFiles(
  dir: string,
  results: readonly AgentResult[],
  secrets: readonly string[],
): void {
  fs.mkdirSync(dir, { recursive: true });
  const redact = redactor(secrets);
  for (const result of results) {
    fs.writeFileSync(path.join(dir, `${result.id}.json`), `${redact(JSON.stringify(result, null, 2))}\n`);
  }
}

function redactEvent(event: RunEvent, redact: (text: string) => string): RunEvent {
  return JSON.parse(redact(JSON.stringify(event))) as RunEvent;
}

function trimmed(event: RunEvent): RunEvent {
  if (event.type !== 'tool-result' || event.output.length <= OUTPUT_CHARS) return event;
  const omitted = event.output.length - OUTPUT_CHARS;
  return { ...event, output: `${event.output.slice(0, OUTPUT_CHARS)}… (${omitted} characters omitted)` };
}

/** Replaces each secret, as written and as it appears inside a JSON string, with `***`. */
function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = secrets
    .filter((s) => s.length >= 4)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((out, secret) => out.split(secret).join('***'), text);
}
