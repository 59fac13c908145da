/**
 * One reusable array that page keys are assembled in (shared prefix + slot suffix), for a
 * consumer that copies what it keeps: each key handed out is valid until the next one.
 * Keys of one length share one view, so assembling a key allocates nothing.
 */
export class KeyScratch {
  private bytes = new Uint8Array(64);
  private view: Uint8Array = this.bytes.subarray(0, 0);

  /** A view of `length` bytes at the start of the scratch array (its old bytes are overwritten by the caller). */
  arrayOf(length: number): Uint8Array {
    if (length === this.view.length) return this.view;
    if (length > this.bytes.length) this.bytes = new Uint8Array(Math.max(length, 2 * this.bytes.length));
    this.view = this.bytes.subarray(0, length);
    return this.view;
  }
}
