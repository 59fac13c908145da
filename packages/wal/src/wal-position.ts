/**
 * Where a record sits in its log file: the byte offset of its first fragment header, and its
 * framed length (every fragment header and payload byte, from that offset to the end of its
 * last fragment). Padding before the record is not part of it.
 */
export interface WalPosition {
  offset: number;
  length: number;
}
