/**
 * How a reader treats damage (see FORMAT.md, "Recovery modes"):
 * - `tolerateCorruptedTail`: damage with no valid fragment anywhere after it ends the log;
 *   damage followed by a valid fragment is a `CorruptionError`.
 * - `absoluteConsistency`: damage of every kind (a torn tail, trailing garbage) is a `CorruptionError`.
 * - `pointInTime`: the log ends at the first damage, without an error.
 * - `skipCorrupted`: damaged records are skipped and reported; reading goes on.
 */
export type WalRecoveryMode = 'tolerateCorruptedTail' | 'absoluteConsistency' | 'pointInTime' | 'skipCorrupted';

/** The mode readers use when the caller names none. */
export const WAL_RECOVERY_MODE_DEFAULT: WalRecoveryMode = 'tolerateCorruptedTail';
