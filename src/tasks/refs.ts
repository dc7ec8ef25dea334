/**
 * Linear-style references: a team key (upper-case letters and digits, starting with a letter), `-`, and a number
 * without a leading zero. Whole words only and case-sensitive, so `xBAC-12`, `BAC-12x`, `bac-12` and `BAC-012` are
 * not references.
 */

/** A reference as a regular expression source, without the whole-word checks. */
export const REF_SOURCE = '[A-Z][A-Z0-9]*-[1-9][0-9]*';
const BEFORE = '(?<![A-Za-z0-9_-])';
const AFTER = '(?![A-Za-z0-9_]|-[A-Za-z0-9])';

const REF = new RegExp(`${BEFORE}${REF_SOURCE}${AFTER}`, 'g');

/** Whether `text` is exactly one reference. */
export function isRef(text: string): boolean {
  return new RegExp(`^${REF_SOURCE}$`).test(text);
}

/** Every reference in `text`, in order of appearance (repeats included). */
export function findRefs(text: string): string[] {
  return [...text.matchAll(REF)].map((m) => m[0]);
}

/** The reference `text` starts with and what follows it, or null when it does not start with one. */
export function leadingRef(text: string): { ref: string; rest: string } | null {
  const match = new RegExp(`^(${REF_SOURCE})${AFTER}`).exec(text);
  return match ? { ref: match[1]!, rest: text.slice(match[0].length) } : null;
}
