/** UTF-8 conversions between the strings tests write and the bytes the engine returns. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);

/** The text of a value, or undefined for a missing key. */
export const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : decoder.decode(value));
