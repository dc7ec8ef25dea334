/** An object of a webhook payload, read without trusting its shape. */
export type JsonObject = Record<string, unknown>;

/** `value` when it is a plain object, else undefined. */
export function object(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** `value` when it is a string, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
