export { AssertionError, assert, invariantsEnabled, setInvariantsEnabled } from './assert.js';
export { EntryKind, hasValue, toFileNum, toSeqNum } from './brands.js';
export type { FileNum, SeqNum } from './brands.js';
export { concatBytes, copyBytes, copyOfRange, moveBytes, readUint32LE, readUint64LE, setUint32LE, setUint64LE, viewOf, writeUint64 } from './bytes.js';
export { ChunkAllocator } from './chunk-allocator.js';
export type { ChunkAllocatorOptions } from './chunk-allocator.js';
export { commonPrefixLength, commonPrefixLengthAt, compareByteRanges, compareBytes, compareBytesAt, equalBytes } from './compare-bytes.js';
export { compareInternal } from './internal-order.js';
export { KeyCopy } from './key-copy.js';
export { EXPIRY_BYTES, encodeExpiringValue, expiryOf, readsAsDeleted, userValueOf } from './expiring-value.js';
export { KEY_PREFIX_BYTES, keyPrefix, keyPrefixAt } from './key-prefix.js';
export { EntryPacker, PACKED_BUFFER_BYTES_MAX, PACKED_REF_FIELDS } from './packed-entries.js';
export type { IndexedEntries, PackedEntries } from './packed-entries.js';
export { crc32, maskCrc, unmaskCrc } from './crc32.js';
export {
  CorruptionError,
  InvalidArgumentError,
  IoError,
  KvError,
  LockedError,
  NoSpaceError,
  NotOpenError,
  NotSupportedError,
  ReadOnlyError,
  isKvError,
} from './errors.js';
export type { KvErrorCode } from './errors.js';
export { newMutableEntry } from './internal-iterator.js';
export type { InternalEntry, InternalIterator, MutableInternalEntry } from './internal-iterator.js';
export { VARINT_MAX_BYTES, decodeVarint, encodeVarint, varintLength } from './varint.js';
export type { DecodedVarint } from './varint.js';
export { tombstoneCovers, tombstoneIsEmpty, tombstoneOverlaps } from './range-tombstone.js';
export type { RangeTombstone } from './range-tombstone.js';
export { RangeTombstoneIndex } from './range-tombstone-index.js';
export { RingQueue } from './ring-queue.js';
