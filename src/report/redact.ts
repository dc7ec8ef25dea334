/**
 * Replaces each secret, as written and as it appears inside a JSON string, with `***`. The runner masks secrets in
 * the log only; files, outputs and comments need this.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = secrets
    .filter((s) => s.length >= 4)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((out, secret) => out.split(secret).join('***'), text);
}
