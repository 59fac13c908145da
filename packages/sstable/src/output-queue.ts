/**
 * The builder's encoded-but-unwritten bytes. Chunks get their file offsets when appended, so
 * references to them (overflow chains, index entries) are final before anything is written.
 */
export interface WriteBatch {
  data: Uint8Array;
  position: number;
}

export class OutputQueue {
  private chunks: Uint8Array[] = [];
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

  /** Queues `chunk` (kept, not copied) and returns its file offset. */
  append(chunk: Uint8Array): number {
    const offset = this.endOffset;
    this.chunks.push(chunk);
    this.queuedBytes += chunk.length;
    this.endOffset += chunk.length;
    return offset;
  }

  /** Removes every queued chunk as one contiguous write, or undefined when nothing is queued. */
  take(): WriteBatch | undefined {
    if (this.chunks.length === 0) return undefined;
    const data = new Uint8Array(this.queuedBytes);
    let at = 0;
    for (const chunk of this.chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    const batch = { data, position: this.writtenOffset };
    this.writtenOffset += this.queuedBytes;
    this.chunks = [];
    this.queuedBytes = 0;
    return batch;
  }
}
