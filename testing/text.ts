/**
 * Helpers shared by the tests and the benchmark: bytes to text and back.
 *
 * @module
 */

/** Decodes UTF-8 bytes. */
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Encodes a string as UTF-8. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
