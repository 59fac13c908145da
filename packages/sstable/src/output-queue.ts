/**
 * The builder's encoded-but-unwritten bytes, copied as they are appended into one growing
 * slab, so a write takes them without another copy and a page image can be laid out in a
 * buffer its builder reuses. Chunks get their file offsets when appended, so references to
 * them (overflow chains, index entries) are final before anything is written.
 */
export interface WriteBatch {
  data: Uint8Array;
  position: number;
}

/** Slabs are sized in steps of this, and the first one has this size. */
const SLAB_BYTES_STEP = 64 * 1024;
/**
 * The largest size a new slab starts at. A slab grows (doubling) to hold what is queued, and
 * the next one starts at the size the last write took, rounded up to a step, so steady slices
 * (the engine writes about every 256 KiB) fit without growing; one large overflow value must
 * not make every later slab that large.
 */
const SLAB_BYTES_START_MAX = 1024 * 1024;

export class OutputQueue {
  private slab: Uint8Array = new Uint8Array(0);
  /** The slab of a finished write (`recycle`), taken by the next slab that fits in it. */
  private spare: Uint8Array | undefined = undefined;
  /** The size the next slab starts at. */
  private slabBytes = SLAB_BYTES_STEP;
  private queuedBytes = 0;
  private endOffset = 0;
  private writtenOffset = 0;

  /** Bytes appended but not yet taken. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** The file offset the next appended chunk gets. */
  get nextOffset(): number {
    return this.endOffset;
  }

  /** Copies `chunk` to the queue (the caller may reuse it at once) and returns its file offset. */
  append(chunk: Uint8Array): number {
    const offset = this.endOffset;
    const at = this.queuedBytes;
    if (at + chunk.length > this.slab.length) this.grow(at + chunk.length);
    this.slab.set(chunk, at);
    this.queuedBytes = at + chunk.length;
    this.endOffset += chunk.length;
    return offset;
  }

  /**
   * Removes every queued byte as one contiguous write, or undefined when nothing is queued. The
   * batch's bytes are the write's own: the queue starts a new slab.
   */
  take(): WriteBatch | undefined {
    if (this.queuedBytes === 0) return undefined;
    const batch = { data: this.slab.subarray(0, this.queuedBytes), position: this.writtenOffset };
    this.writtenOffset += this.queuedBytes;
    this.slabBytes = Math.min(SLAB_BYTES_START_MAX, Math.ceil(this.queuedBytes / SLAB_BYTES_STEP) * SLAB_BYTES_STEP + SLAB_BYTES_STEP);
    this.slab = new Uint8Array(0);
    this.queuedBytes = 0;
    return batch;
  }

  /**
   * Hands back the bytes of a batch from `take` once its write has finished and nothing
   * refers to them: the next slab reuses its array when it fits. A builder that writes slice
   * after slice then allocates no slab per write, so the buffers it leaves behind do not pile
   * up as garbage between collections.
   */
  recycle(data: Uint8Array): void {
    if (data.byteOffset === 0 && (this.spare === undefined || this.spare.length < data.buffer.byteLength)) this.spare = new Uint8Array(data.buffer);
  }

  /** A slab for at least `needed` bytes, keeping the queued ones. */
  private grow(needed: number): void {
    while (this.slabBytes < needed) this.slabBytes *= 2;
    const spare = this.spare;
    const fits = spare !== undefined && spare.length >= this.slabBytes && spare !== this.slab;
    const slab = fits ? spare : new Uint8Array(this.slabBytes);
    if (fits) this.spare = undefined;
    slab.set(this.slab.subarray(0, this.queuedBytes));
    this.slab = slab;
  }
}
