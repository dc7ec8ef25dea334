/** Shortest secret looked for; anything shorter would match ordinary text. */
const MIN_SECRET_CHARS = 4;

/** Shortest part of a secret's base64 looked for, for the same reason. */
const MIN_BASE64_CHARS = 12;

/**
 * Replaces each secret with `***` in every form a file could hold it: as written; escaped as in a JSON string, once
 * or twice (JSON that a tool printed, inside an event's JSON); percent-encoded, as in a URL; and in base64 or
 * base64url at any alignment, as in a basic-auth header (`x-access-token:<token>`) or `echo $TOKEN | base64`.
 * For base64 the characters that depend on the secret alone are replaced, which leaves at most two characters at
 * each end that also depend on what surrounds it.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_CHARS).flatMap(secretForms))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) =>
    forms.reduce((out, form) => (out.includes(form) ? out.split(form).join('***') : out), text);
}

function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [secret, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(secret)];
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // The first group of four mixes in what came before; a last group that is padded, what comes after.
    const end = (offset + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 4;
    const core = encoded.slice(offset > 0 ? 4 : 0, end);
    if (core.length >= MIN_BASE64_CHARS) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}
