/**
 * What the workloads need from an engine. Each adapter maps these onto the engine's own
 * fastest idiomatic API (batch APIs for fills, a synchronous get where one exists).
 */
export interface KeyValue {
  key: Buffer;
  value: Buffer;
}

export interface ScanOptions {
  /** First key (inclusive); from the first or, with `reverse`, the last key when absent. */
  gte?: Buffer;
  reverse: boolean;
  limit: number;
}

/** A scan's options in the level-style shape most engines take. */
export type LevelScanOptions<K> = { gte?: K; reverse: boolean; limit: number };

/**
 * `options` as `{ gte?, reverse, limit }`, `gte` passed through `convert` (for engines that take
 * another key type). Built as one of two plain object literals, never as `{ ...range, reverse,
 * limit }`: on Node 20 (V8 11.3) an object spread followed by more properties, once per
 * operation, made V8 promote a large share of everything else the operation allocated to the
 * old generation (130–170 MiB per 300,000 seeks of ten entries against 20–30 MiB, and 175
 * against 0.4 MiB in a loop of plain objects with no engine at all), which grew the child's
 * heap and peak RSS by tens of MiB for every engine whose scans allocate in JavaScript.
 */
export function levelScanOptions<K>(options: ScanOptions, convert: (key: Buffer) => K): LevelScanOptions<K> {
  const { gte, reverse, limit } = options;
  return gte === undefined ? { reverse, limit } : { gte: convert(gte), reverse, limit };
}

/** The identity, for `levelScanOptions` of engines that take the key as it is. */
export function asIs(key: Buffer): Buffer {
  return key;
}

/** Called per entry; returning `false` stops the scan (the time cap). */
export type ScanVisitor = () => boolean;

export interface EngineAdapter {
  /** Writes the entries as one batch, without waiting for the disk. */
  putBatch(entries: readonly KeyValue[]): Promise<void>;
  /** One write, acknowledged the engine's default way (not necessarily on stable storage). */
  put(key: Buffer, value: Buffer): Promise<void>;
  /** One write that resolves only once it is on stable storage (fsync or fdatasync). */
  putDurable(key: Buffer, value: Buffer): Promise<void>;
  /** True when the key is present; through the engine's promise API. */
  has(key: Buffer): Promise<boolean>;
  /** True when the key is present; through a synchronous API. Only when `syncRead` is set. */
  hasSync(key: Buffer): boolean;
  /** The stored value as bytes (for verification, not timed). */
  read(key: Buffer): Promise<Uint8Array | undefined>;
  delete(key: Buffer): Promise<void>;
  /** Visits up to `limit` entries in order; returns how many it visited. */
  scan(options: ScanOptions, visit: ScanVisitor): Promise<number>;
  /** Compacts everything the engine can; returns how (e.g. "compactRange", "flush"), or
   *  undefined when it has no such operation. */
  compact(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Memory for caches and write buffers, for engines that take such a limit. */
  memoryBudgetBytes?: number;
  /** Page/block compression with LZ4, for engines that offer it. */
  lz4?: boolean;
}

export interface EngineCapabilities {
  /** Data survives the process (everything but the in-memory baseline). */
  persistent: boolean;
  /** Has a synchronous get. */
  syncRead: boolean;
  /** Honours `memoryBudgetBytes`. */
  memoryBudget: boolean;
  /** Honours `lz4`. */
  lz4: boolean;
  /** Has a durable (fsync) write. */
  durableWrite: boolean;
}

export interface EngineFactory {
  readonly name: string;
  /** Package and version, for the report. */
  readonly packageName: string;
  readonly capabilities: EngineCapabilities;
  /** How the adapter drives the engine: the settings and API choices the report states. */
  readonly notes: string;
  open(dir: string, options: OpenOptions): Promise<EngineAdapter>;
}
