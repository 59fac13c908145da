/** One damaged range a reader found: where it starts and what was wrong. */
export interface WalCorruption {
  offset: number;
  detail: string;
}

/**
 * What a replay found. Complete once the reader's `next()` returned `undefined`.
 * - `records`: records returned.
 * - `lastGoodOffset`: the end of the last record returned (the end of the header when none
 *   was, 0 when the file had no valid header).
 * - `droppedBytes`: bytes of damaged records, damaged fragments and a dropped tail.
 * - `corruptions`: each damaged range found, in file order.
 * - `stoppedEarly`: the log ended before the end of the file because of damage.
 */
export interface WalReplayReport {
  records: number;
  lastGoodOffset: number;
  droppedBytes: number;
  corruptions: WalCorruption[];
  stoppedEarly: boolean;
}
