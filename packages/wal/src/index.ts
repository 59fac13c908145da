export { encodeRecords } from './encode-records.js';
export type { EncodedRecords } from './encode-records.js';
export {
  BLOCK_SIZE_BYTES,
  FORMAT_VERSION_CURRENT,
  FORMAT_VERSION_MIN,
  FRAGMENT_HEADER_BYTES,
  FragmentType,
  HEADER_RECORD_BYTES_V1,
  RECORD_PAYLOAD_BYTES_MAX,
  WAL_MAGIC,
} from './format.js';
export { encodeHeaderRecord } from './wal-header.js';
export { GROUP_BYTES_MAX_DEFAULT, WalCommitQueue } from './wal-commit-queue.js';
export type { WalCommitStats } from './wal-commit-queue.js';
export type { WalPosition } from './wal-position.js';
export { WalReader } from './wal-reader.js';
export type { WalRecord } from './wal-record.js';
export { WAL_RECOVERY_MODE_DEFAULT } from './wal-recovery-mode.js';
export type { WalRecoveryMode } from './wal-recovery-mode.js';
export type { WalCorruption, WalReplayReport } from './wal-replay-report.js';
export { WalWriter } from './wal-writer.js';
export { BLOCKING_SYNC_MAX_MS_DEFAULT, SyncLatencyGate } from './sync-latency-gate.js';
