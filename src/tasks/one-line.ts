import { InputError } from '../errors.js';
import { findRefs, REF_SOURCE } from './refs.js';

// A list marker (`-`, `*`, `+`, `1.`, `1)`, with an optional checkbox) right before an id, inside a line: where a
// list typed into a one-line box (the Actions tab's `tasks` field) had its line breaks.
const INNER_ITEM = new RegExp(
  `\\s+(?=(?:[-*+]|\\d{1,9}[.)])\\s+(?:\\[[ xX]\\]\\s+)?${REF_SOURCE}(?![A-Za-z0-9_]|-[A-Za-z0-9]))`,
  'g',
);
// Nothing but ids, separated by commas or spaces, perhaps after one list marker: `BAC-1, BAC-2`.
const BARE_IDS = new RegExp(`^(?:(?:[-*+]|\\d{1,9}[.)])\\s+)?${REF_SOURCE}(?:[\\s,]+${REF_SOURCE})*[\\s,]*$`);

// An item's start: an optional list marker and checkbox, then an id.
const LEADING_ID = new RegExp(
  `^(?:(?:[-*+]|\\d{1,9}[.)])\\s+(?:\\[[ xX]\\]\\s+)?)?${REF_SOURCE}(?![A-Za-z0-9_]|-[A-Za-z0-9])`,
);

/**
 * The `tasks` input as its author meant it when it came as one line holding several tasks: a list whose line breaks
 * were lost (`- BAC-1: Fix the router - BAC-2: Add docs`) becomes one item a line; ids alone (`BAC-1, BAC-2`) become
 * one item each when Linear can fill them in. Anything else that names several ids on one line is refused with the
 * ids named, rather than read as one task whose title swallowed the others. Text of several lines is left as it is.
 */
export function splitOneLine(text: string, where: string, { linear }: { linear: boolean }): string {
  const line = text.trim();
  if (line.includes('\n')) return text;
  const ids = findRefs(line);
  if (ids.length < 2) return text;
  if (BARE_IDS.test(line)) {
    if (linear) return ids.map((id) => `- ${id}`).join('\n');
    throw new InputError(
      `${ids.join(', ')} are ids alone, with no title or text for the agents`,
      where,
      'Write one task a line with its title (`- BAC-1: Fix the router`), or give `linear-api-key` to read them from Linear',
    );
  }
  const items = line.split(INNER_ITEM);
  if (items.length > 1 && LEADING_ID.test(items[0]!)) return items.join('\n');
  throw new InputError(
    `one line names ${ids.join(', ')}, and it is not clear which are tasks`,
    where,
    'Put each task on a line of its own (`- BAC-1: Fix the router`), or in a list written `- BAC-1: … - BAC-2: …`',
  );
}
