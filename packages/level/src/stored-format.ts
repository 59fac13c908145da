/**
 * The formats KvLevel declares to abstract-level, and the conversion of what the engine
 * returns into the format abstract-level asked for.
 *
 * The engine takes keys and values as `Uint8Array` or string (stored as UTF-8) and returns
 * fresh `Uint8Array`s. So KvLevel declares 'view' and 'utf8': strings go to the engine as
 * they are (it encodes them once, where a 'view' transcoder would encode and the engine copy
 * again), and bytes come back without a copy. 'buffer' and the other encodings are
 * transcoded by abstract-level to 'view' without a copy (`Buffer.from(arrayBuffer, ...)`).
 * Reads in 'utf8' are decoded with `TextDecoder`, which measured faster than
 * `Buffer#toString` on Node 20 for 50-byte values (see README).
 */

/** The encodings the private API receives and returns. */
export const STORED_ENCODINGS: { readonly view: true; readonly utf8: true } = { view: true, utf8: true };

/** A key or value as the private API passes it: already encoded by abstract-level. */
export type StoredData = Uint8Array | string;

/** Turns engine bytes into the requested format. */
export type StoredDecoder = (bytes: Uint8Array) => StoredData;

const decoder = new TextDecoder();

const decodeUtf8: StoredDecoder = (bytes) => decoder.decode(bytes);
const keepView: StoredDecoder = (bytes) => bytes;

/** The decoder for `format` ('utf8' or 'view'; abstract-level passes only declared formats). */
export function decoderFor(format: string): StoredDecoder {
  return format === 'utf8' ? decodeUtf8 : keepView;
}

/** Whether `format` needs no conversion of engine bytes. */
export function isViewFormat(format: string): boolean {
  return format !== 'utf8';
}
