/**
 * Where the engine's small byte arrays get their memory: slices of shared chunks instead of
 * one `ArrayBuffer` each (see `ChunkAllocator` for why that matters on the hot paths).
 *
 * - Results (`get` values, iterator keys and values) are copies the caller owns. A small one
 *   shares its `ArrayBuffer` with other results, as Node's pooled `Buffer`s do: read it
 *   through `byteOffset` and `length`, never as the whole `.buffer`.
 * - Batch payloads live as long as the memtable that keeps views into them, and memtables
 *   are dropped whole, so a chunk of payloads dies with its memtable. They are shared memory
 *   (`SharedArrayBuffer`): a flush sends the memtable's payloads to the worker thread that
 *   builds the page file, which then shares them instead of receiving a copy. Nothing writes
 *   to a payload once its batch is encoded, and none is ever handed to a caller.
 */
import { ChunkAllocator } from '@kv/base';

export const resultAllocator: ChunkAllocator = new ChunkAllocator(16 * 1024);

export const batchAllocator: ChunkAllocator = new ChunkAllocator(64 * 1024, { shared: true });
