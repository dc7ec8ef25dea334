/**
 * Whether two tasks' `paths` globs could name the same file, decided without looking at the repository: two globs
 * overlap when some path matches both. The answer may be a false "yes" but never a false "no", because a false
 * "no" lets two agents edit the same file at once, while a false "yes" only makes two tasks wait for each other.
 *
 * What a glob means here (minimatch / gitignore style, relative to the repository root):
 * - `*` matches within one path segment, `**` as a whole segment matches any number of segments (zero included),
 *   `?` one character, `[abc]`, `[a-z]`, `[!a]`, `[^a]` one character of a class, `\x` the character `x`;
 * - `{a,b}` and `{1..3}` expand before matching; more than {@link MAX_EXPANSIONS} alternatives match everything;
 * - a leading `./` or `/` is dropped; a glob that may name a directory covers what lies under it: `src/gateway`,
 *   `src/gateway/` and `src/gateway/**` all cover `src/gateway/router.ts` (a last segment with an extension or a
 *   wildcard, `src/router.ts` or `src/*.ts`, names files only).
 *
 * Where the answer would take a full glob engine it leans to "overlap": `*` and `?` are taken to match dotfiles too,
 * POSIX classes (`[[:alpha:]]`) match any character, an extglob (`+(a|b)`, `!(x)`) makes its segment match
 * anything, a `..` segment or a negated glob (`!src/**`) matches every path, and case is compared exactly (git and
 * Linux runners are case-sensitive).
 */

/** Brace alternatives one glob may expand to before it is taken to match every path. */
const MAX_EXPANSIONS = 1024;

/** Whether some path could match both globs. */
export function globsOverlap(a: string, b: string): boolean {
  const left = compile(a);
  const right = compile(b);
  return left.some((x) => right.some((y) => pathPatternsOverlap(x, y)));
}

/**
 * Whether two tasks' `paths` could touch the same file. A task that names no paths conflicts with nothing: it has
 * promised nothing, so nothing is assumed. Negated globs only narrow a list, so they are left out of it (a list of
 * nothing but negations still covers every path outside them, and is taken to cover every path).
 */
export function pathsConflict(a: readonly string[], b: readonly string[]): boolean {
  return overlappingGlobs(a, b) !== undefined;
}

/** The first pair of globs, one from each list, that overlap (see {@link pathsConflict}); undefined when none do. */
export function overlappingGlobs(a: readonly string[], b: readonly string[]): [string, string] | undefined {
  const left = positive(a);
  const right = positive(b);
  for (const x of left) {
    for (const y of right) {
      if (globsOverlap(x, y)) return [x, y];
    }
  }
  return undefined;
}

/**
 * For each list of globs, the indexes of the lists (itself included) that might overlap it: a superset of the pairs
 * worth asking {@link pathsConflict} about, found without comparing every pair. Two globs can only overlap when the
 * plain directories they start with agree as far as both go (`src/api/…` and `src/…` may; `src/…` and `docs/…`
 * may not), so lists are filed in a tree by those directories and each meets only the lists on its own branch.
 * Empty lists meet none.
 */
export function overlapCandidates(lists: readonly (readonly string[])[]): number[][] {
  interface Node {
    children: Map<string, Node>;
    lists: number[];
  }
  const node = (): Node => ({ children: new Map(), lists: [] });
  const root = node();
  const ends = lists.map((list, i) =>
    positive(list).flatMap((glob) =>
      compile(glob).map((alternative) => {
        const path = literalPrefix(alternative);
        let at = root;
        for (const name of path) {
          let next = at.children.get(name);
          if (!next) {
            next = node();
            at.children.set(name, next);
          }
          at = next;
        }
        at.lists.push(i);
        return { at, path };
      }),
    ),
  );
  const below = (start: Node, into: Set<number>) => {
    const stack = [start];
    for (let n = stack.pop(); n; n = stack.pop()) {
      for (const i of n.lists) into.add(i);
      stack.push(...n.children.values());
    }
  };
  return ends.map((endings) => {
    const found = new Set<number>();
    for (const { at, path } of endings) {
      let n: Node | undefined = root;
      for (const name of path) {
        for (const i of n.lists) found.add(i);
        n = n.children.get(name);
        if (!n) break;
      }
      below(at, found);
    }
    return [...found].sort((x, y) => x - y);
  });
}

/**
 * The plain directories under which lies every path the globs can name, fewest first: `src/gateway/**` and
 * `src/gateway/*.ts` give `src/gateway`, `src/{a,b}/x.ts` gives `src/a` and `src/b`. Null when one of them may name a
 * path at the top of the repository (`*.md`, `**`, `README.md`, a negation, a `..`), which no directory holds. What a
 * sparse checkout of a task's `paths` needs.
 */
export function globDirectories(globs: readonly string[]): string[] | null {
  const directories = new Set<string>();
  for (const glob of positive(globs)) {
    for (const alternative of compile(glob)) {
      const names = literalPrefix(alternative);
      // Wholly plain, it names one file (a directory gets a `**` segment): the file's directory holds it.
      if (names.length === alternative.length) names.pop();
      if (names.length === 0) return null;
      directories.add(names.join('/'));
    }
  }
  // A directory inside another adds nothing.
  const sorted = [...directories].sort();
  return sorted.filter((dir) => !sorted.some((other) => other !== dir && dir.startsWith(`${other}/`)));
}

/** The plain names a segment list starts with, up to its first wildcard. */
function literalPrefix(segments: Segment[]): string[] {
  const names: string[] = [];
  for (const segment of segments) {
    if (segment.globstar) break;
    let name = '';
    for (const token of segment.tokens) {
      if (token.star || token.set.negated) return names;
      const [range, ...more] = token.set.ranges;
      if (!range || more.length > 0 || range[0] !== range[1]) return names;
      name += String.fromCodePoint(range[0]);
    }
    names.push(name);
  }
  return names;
}

function positive(globs: readonly string[]): string[] {
  const kept = globs.map((g) => g.trim()).filter((g) => g !== '');
  const plain = kept.filter((g) => !g.startsWith('!'));
  return plain.length === 0 && kept.length > 0 ? ['**'] : plain;
}

/** A set of characters as code-point ranges; negated, every character outside them. */
interface CharSet {
  negated: boolean;
  ranges: [number, number][];
}

/** One step of a segment pattern: a single character of a set, or `*`. */
type Token = { star: false; set: CharSet } | { star: true };

/** One path segment: `**`, or a pattern for a single segment. */
type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

/** A glob after brace expansion: each alternative is a list of segments. */
type Compiled = Segment[][];

const ANY_CHAR: CharSet = { negated: true, ranges: [] };
const GLOBSTAR: Segment = { globstar: true };
const MATCH_ALL: Compiled = [[GLOBSTAR]];

// Plans compare every pair of tasks, and tasks tend to share globs; compiling each glob once keeps that cheap.
const compiled = new Map<string, Compiled>();
const CACHE_LIMIT = 10_000;

function compile(glob: string): Compiled {
  const known = compiled.get(glob);
  if (known) return known;
  const result = compileUncached(glob);
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(glob, result);
  return result;
}

function compileUncached(glob: string): Compiled {
  const trimmed = glob.trim();
  if (trimmed.startsWith('!')) return MATCH_ALL;
  const alternatives = expandBraces(trimmed);
  if (!alternatives) return MATCH_ALL;
  const out: Compiled = [];
  for (const alternative of alternatives) {
    const segments = toSegments(alternative);
    if (!segments) return MATCH_ALL;
    out.push(segments);
  }
  return out;
}

/**
 * Path segments of one brace-free glob; null when it climbs out with `..`, which is left to match everything. A
 * glob that may name a directory ends in `**`, so that it also covers what lies beneath it (see {@link
 * mayBeDirectory}).
 */
function toSegments(glob: string): Segment[] | null {
  const parts = glob.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return null;
  // `/` or `.`: the whole repository.
  if (parts.length === 0) return [GLOBSTAR];
  const segments = parts.map(toSegment);
  // Consecutive `**` mean the same as one.
  const merged = segments.filter((s, i) => !(s.globstar && segments[i - 1]?.globstar));
  if (mayBeDirectory(glob, parts[parts.length - 1])) merged.push(GLOBSTAR);
  return merged;
}

/**
 * Whether a glob may name a directory: it ends in `/`, or its last segment is a plain name without an extension
 * (`src/gateway`, `.github`, `Makefile`). A name with an extension (`src/router.ts`) or with wildcards (`src/*.ts`)
 * is taken to name files, as minimatch would; otherwise a glob for every Markdown file would overlap every file of
 * the repository (as `src/a.ts/x.md`). A directory with a dot in its name is written `v1.2/` or `v1.2/**`.
 */
function mayBeDirectory(glob: string, last: string | undefined): boolean {
  if (last === undefined || last === '**') return false;
  if (glob.endsWith('/')) return true;
  return !/[*?[\\{]/.test(last) && !last.slice(1).includes('.');
}

// An extglob: `?(…)`, `*(…)`, `+(…)`, `@(…)`, `!(…)`.
const EXTGLOB = /[?*+@!]\(/;

function toSegment(part: string): Segment {
  if (part === '**') return GLOBSTAR;
  if (EXTGLOB.test(part)) return { globstar: false, tokens: [{ star: true }] };
  const chars = Array.from(part);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i += 1) {
    const c = chars[i] ?? '';
    if (c === '\\' && i + 1 < chars.length) {
      i += 1;
      tokens.push(literal(chars[i] ?? ''));
    } else if (c === '*') {
      // `a**b` is not a globstar: within a segment it means the same as `*`.
      if (!tokens[tokens.length - 1]?.star) tokens.push({ star: true });
    } else if (c === '?') {
      tokens.push({ star: false, set: ANY_CHAR });
    } else if (c === '[') {
      const parsed = charClass(chars, i);
      if (parsed) {
        tokens.push({ star: false, set: parsed.set });
        i = parsed.end;
      } else {
        tokens.push(literal(c));
      }
    } else {
      tokens.push(literal(c));
    }
  }
  return { globstar: false, tokens };
}

function literal(c: string): Token {
  const code = c.codePointAt(0) ?? 0;
  return { star: false, set: { negated: false, ranges: [[code, code]] } };
}

/** The class opening at `chars[start]` (`[`) and the index of its `]`; null when it never closes. */
function charClass(chars: string[], start: number): { set: CharSet; end: number } | null {
  let i = start + 1;
  const negated = chars[i] === '!' || chars[i] === '^';
  if (negated) i += 1;
  const ranges: [number, number][] = [];
  let posix = false;
  let first = true;
  for (; i < chars.length; i += 1) {
    let c = chars[i] ?? '';
    // A `]` right after the opening is a member, not the end.
    if (c === ']' && !first) {
      if (posix) return { set: ANY_CHAR, end: i };
      return { set: { negated, ranges }, end: i };
    }
    first = false;
    if (c === '[' && chars[i + 1] === ':') {
      // `[:alpha:]` and the like: whatever the name, the class is taken to match any character.
      const close = chars.findIndex((ch, k) => k > i + 1 && ch === ':' && chars[k + 1] === ']');
      if (close > 0) {
        posix = true;
        i = close + 1;
        continue;
      }
    }
    if (c === '\\' && i + 1 < chars.length) {
      i += 1;
      c = chars[i] ?? '';
    }
    const low = c.codePointAt(0) ?? 0;
    if (chars[i + 1] === '-' && i + 2 < chars.length && chars[i + 2] !== ']') {
      let hiChar = chars[i + 2] ?? '';
      i += 2;
      if (hiChar === '\\' && i + 1 < chars.length) {
        i += 1;
        hiChar = chars[i] ?? '';
      }
      const high = hiChar.codePointAt(0) ?? 0;
      // A reversed range matches nothing in most engines; keeping both ends errs toward an overlap.
      ranges.push(low <= high ? [low, high] : [high, low]);
    } else {
      ranges.push([low, low]);
    }
  }
  return null;
}

/**
 * `{a,b}` alternatives and `{1..3}` / `{a..c}` ranges expanded, nested braces included; a brace with neither is
 * text. Null past {@link MAX_EXPANSIONS}.
 */
function expandBraces(glob: string): string[] | null {
  const out: string[] = [];
  const expand = (text: string, from: number): boolean => {
    for (let i = from; i < text.length; i += 1) {
      const c = text[i];
      if (c === '\\') {
        i += 1;
        continue;
      }
      if (c !== '{') continue;
      const close = matchingBrace(text, i);
      if (close < 0) continue;
      const body = text.slice(i + 1, close);
      const parts = splitTopLevel(body);
      const alternatives = parts.length > 1 ? parts : braceRange(body);
      if (alternatives === null) return false;
      if (alternatives.length === 0) continue;
      const before = text.slice(0, i);
      const after = text.slice(close + 1);
      return alternatives.every((alternative) => expand(before + alternative + after, i));
    }
    out.push(text);
    return out.length <= MAX_EXPANSIONS;
  };
  return expand(glob, 0) ? out : null;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') i += 1;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The body of a brace split at its own commas, not at those of braces nested in it. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (c === '\\') i += 1;
    else if (c === '{') depth += 1;
    else if (c === '}') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** `1..3` → 1, 2, 3; `a..c` → a, b, c; empty when the body is no range; null when the range is too long. */
function braceRange(body: string): string[] | null {
  const numbers = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  const letters = /^([a-zA-Z])\.\.([a-zA-Z])$/.exec(body);
  let from: number;
  let to: number;
  let show: (n: number) => string;
  if (numbers) {
    from = Number(numbers[1]);
    to = Number(numbers[2]);
    show = String;
  } else if (letters) {
    from = (letters[1] ?? '').charCodeAt(0);
    to = (letters[2] ?? '').charCodeAt(0);
    show = (n) => String.fromCharCode(n);
  } else {
    return [];
  }
  if (Math.abs(to - from) >= MAX_EXPANSIONS) return null;
  const step = from <= to ? 1 : -1;
  const out: string[] = [];
  for (let n = from; n !== to + step; n += step) out.push(show(n));
  return out;
}

/**
 * Whether two segment lists share a path: the product of the two patterns walked breadth-first, a `**` consuming
 * any one segment and staying, or stepping past without consuming.
 */
function pathPatternsOverlap(a: Segment[], b: Segment[]): boolean {
  return productReaches(
    a,
    b,
    (s) => s.globstar,
    (x, y) => x.globstar || y.globstar || segmentsOverlap(x.tokens, y.tokens),
  );
}

/** Whether some single segment matches both patterns: the same walk, one character at a time. */
function segmentsOverlap(a: Token[], b: Token[]): boolean {
  return productReaches(
    a,
    b,
    (t) => t.star,
    (x, y) => x.star || y.star || setsIntersect(x.set, y.set),
  );
}

/**
 * Whether both patterns can end together: states are a position in each, `repeats` marks the items that may
 * consume any number of inputs (`*` over characters, `**` over segments), and `meet` whether two items can consume
 * the same input.
 */
function productReaches<T>(
  a: readonly T[],
  b: readonly T[],
  repeats: (item: T) => boolean,
  meet: (x: T, y: T) => boolean,
): boolean {
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width);
  const queue: number[] = [0];
  seen[0] = 1;
  const visit = (i: number, j: number) => {
    const key = i * width + j;
    if (seen[key]) return;
    seen[key] = 1;
    queue.push(key);
  };
  for (let head = 0; head < queue.length; head += 1) {
    const key = queue[head] ?? 0;
    const i = Math.floor(key / width);
    const j = key % width;
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    const xRepeats = x !== undefined && repeats(x);
    const yRepeats = y !== undefined && repeats(y);
    if (xRepeats) visit(i + 1, j);
    if (yRepeats) visit(i, j + 1);
    if (x === undefined || y === undefined || (xRepeats && yRepeats) || !meet(x, y)) continue;
    visit(xRepeats ? i : i + 1, yRepeats ? j : j + 1);
  }
  return false;
}

function setsIntersect(a: CharSet, b: CharSet): boolean {
  // Two negated sets leave out a handful of characters each; something is left for both.
  if (a.negated && b.negated) return true;
  if (a.negated) return someOutside(b.ranges, a.ranges);
  if (b.negated) return someOutside(a.ranges, b.ranges);
  return a.ranges.some(([lo, hi]) => b.ranges.some(([lo2, hi2]) => lo <= hi2 && lo2 <= hi));
}

/** Whether some character of `ranges` lies outside every range of `excluded`. */
function someOutside(ranges: [number, number][], excluded: [number, number][]): boolean {
  const inExcluded = (c: number) => excluded.some(([lo, hi]) => lo <= c && c <= hi);
  return ranges.some(([lo, hi]) => {
    // The only candidates are a range's start and the characters just past an excluded range.
    const candidates = [lo, ...excluded.map(([, end]) => end + 1).filter((c) => c > lo && c <= hi)];
    return candidates.some((c) => !inExcluded(c));
  });
}
