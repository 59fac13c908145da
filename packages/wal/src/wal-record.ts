import type { WalPosition } from './wal-position.js';

/** A record read back from a log. `payload` is a fresh copy the caller owns. */
export interface WalRecord {
  payload: Uint8Array;
  position: WalPosition;
}
