/**
 * The events a database emits (`db.on(name, listener)`), with the figures an operator logs.
 * Listeners run synchronously on the engine's thread: keep them short. An 'error' event is
 * emitted only while someone listens for it (an unheard 'error' would crash the process). A
 * listener that throws does not disturb the engine: its exception becomes a process warning.
 */
import type { EventEmitter } from 'node:events';

export interface FlushEvent {
  /** The level-0 file written; undefined when the memtables held only range deletions. */
  fileNumber: number | undefined;
  /** Bytes written to the page file. */
  bytesWritten: number;
  /** Memtables the file holds: 1, or 2 when small memtables are flushed in pairs. */
  memtables: number;
  entries: number;
  rangeTombstones: number;
  durationMs: number;
}

export interface CompactionEvent {
  reason: 'level0' | 'size' | 'manual' | 'range-deletion';
  inputLevel: number;
  outputLevel: number;
  inputFiles: number;
  outputFiles: number;
  bytesRead: number;
  bytesWritten: number;
  entriesIn: number;
  entriesOut: number;
  /** Versions no reader could see any more (shadowed, hidden by a tombstone, expired). */
  droppedVersions: number;
  droppedTombstones: number;
  /** The files went down a level unchanged (one manifest edit, nothing read or written). */
  trivialMove: boolean;
  durationMs: number;
}

export interface StallEvent {
  /** What writers waited for: a memtable slot (flushes behind) or level-0 room (compaction behind). */
  cause: 'memtables' | 'level0';
  durationMs: number;
}

export interface BackgroundErrorInfo {
  job: 'flush' | 'compaction';
  /** False when the job stopped for good (a failed manifest, corruption): reopen to recover. */
  willRetry: boolean;
}

export interface DbEvents {
  flush: [FlushEvent];
  compaction: [CompactionEvent];
  stall: [StallEvent];
  error: [Error, BackgroundErrorInfo];
}

/** What the background jobs report to the database. */
export interface EngineEventSink {
  flush(event: FlushEvent): void;
  compaction(event: CompactionEvent): void;
  stall(event: StallEvent): void;
  backgroundError(error: unknown, info: BackgroundErrorInfo): void;
}

/** A sink that drops everything (background jobs run before a database exists: open, repair). */
export const SILENT_EVENTS: EngineEventSink = { flush: () => undefined, compaction: () => undefined, stall: () => undefined, backgroundError: () => undefined };

/** A sink that emits on `emitter` ('error' only while someone listens for it). */
export function forwardEvents(emitter: EventEmitter<DbEvents>): EngineEventSink {
  return {
    flush: (event) => shielded(() => emitter.emit('flush', event)),
    compaction: (event) => shielded(() => emitter.emit('compaction', event)),
    stall: (event) => shielded(() => emitter.emit('stall', event)),
    backgroundError: (error, info) => {
      if (emitter.listenerCount('error') > 0) shielded(() => emitter.emit('error', error instanceof Error ? error : new Error(String(error)), info));
    },
  };
}

/**
 * Runs a listener call so that a throwing listener cannot fail the flush or compaction that
 * reported the event: the exception becomes a process warning instead.
 */
function shielded(emit: () => void): void {
  try {
    emit();
  } catch (error) {
    process.emitWarning(error instanceof Error ? error : String(error), { code: 'KV_EVENT_LISTENER_THREW', detail: 'a kv database event listener threw; the database went on' });
  }
}
