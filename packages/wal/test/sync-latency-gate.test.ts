import type { Vfs, VfsFile } from '@kv/vfs';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncLatencyGate, WalWriter } from '../src/index.js';
import { LOG_NUMBER, LOG_PATH } from './helpers.js';

describe('SyncLatencyGate', () => {
  it('blocks only after eight syncs in a row under the limit, and stops after any slow one', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), (fastSyncs) => {
        const gate = new SyncLatencyGate(1);
        let streak = 0;
        for (const fast of fastSyncs) {
          expect(gate.blocking).toBe(streak >= 8);
          gate.record(fast ? 0.2 : 1);
          streak = fast ? streak + 1 : 0;
        }
        expect(gate.blocking).toBe(streak >= 8);
      }),
    );
  });

  it('never blocks with a limit of 0, and refuses a negative or non-finite limit', () => {
    const gate = new SyncLatencyGate(0);
    for (let i = 0; i < 20; i++) gate.record(0);
    expect(gate.blocking).toBe(false);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new SyncLatencyGate(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

/**
 * A gate that records the durations the test scripts instead of the measured ones (0 ms once
 * the script runs out), so which syncs block never depends on how loaded the machine is.
 */
class ScriptedGate extends SyncLatencyGate {
  readonly script: number[] = [];

  constructor() {
    super(1);
  }

  override record(_measuredMs: number): void {
    super.record(this.script.shift() ?? 0);
  }
}

/** A MemoryVfs whose log files count blocking and thread-pool syncs. */
function countingVfs(): { vfs: Vfs; calls: { pool: number; blocking: number } } {
  const inner = new MemoryVfs();
  const calls = { pool: 0, blocking: 0 };
  const vfs = Object.create(inner) as MemoryVfs;
  vfs.open = async (path, options) => {
    const file = await inner.open(path, options);
    const wrapped: VfsFile = Object.create(file) as VfsFile;
    wrapped.sync = async () => {
      calls.pool++;
      await file.sync();
    };
    wrapped.syncBlocking = () => {
      calls.blocking++;
      file.syncBlocking?.();
    };
    return wrapped;
  };
  return { vfs, calls };
}

describe('WalWriter sync mode', () => {
  it('syncs through the thread pool until eight were fast, then blocks, and goes back after a slow one', async () => {
    const { vfs, calls } = countingVfs();
    await vfs.mkdir('/db', { recursive: true });
    const gate = new ScriptedGate();
    const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, syncGate: gate });
    const payload = new Uint8Array(40).fill(7);
    const syncOnce = async (): Promise<void> => {
      writer.appendSync([payload]);
      await writer.sync();
    };
    // The header's sync at creation goes through the file directly, not the gate.
    const before = { ...calls };
    for (let i = 0; i < 8; i++) await syncOnce();
    expect(calls.pool - before.pool).toBe(8);
    expect(calls.blocking).toBe(0);
    await syncOnce();
    expect(calls.blocking).toBe(1);
    gate.script.push(2);
    await syncOnce();
    expect(calls.blocking).toBe(2);
    await syncOnce();
    expect(calls.pool - before.pool).toBe(9);
  });

  it('never blocks for a backlog over 256 KiB, for syncFinal, or for a file without syncBlocking', async () => {
    const { vfs, calls } = countingVfs();
    await vfs.mkdir('/db', { recursive: true });
    const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, syncGate: new ScriptedGate() });
    for (let i = 0; i < 8; i++) await writer.sync();
    expect(writer.syncGate.blocking).toBe(true);
    const blockingBefore = calls.blocking;
    // 300 KiB of unsynced appends: the next sync goes to the pool.
    for (let i = 0; i < 30; i++) writer.appendSync([new Uint8Array(10 * 1024)]);
    await writer.sync();
    expect(calls.blocking).toBe(blockingBefore);
    // A small backlog blocks again...
    writer.appendSync([new Uint8Array(100)]);
    await writer.sync();
    expect(calls.blocking).toBe(blockingBefore + 1);
    // ...but a log at rest never does.
    writer.appendSync([new Uint8Array(100)]);
    await writer.syncFinal();
    expect(calls.blocking).toBe(blockingBefore + 1);

    const plain = new MemoryVfs();
    await plain.mkdir('/db', { recursive: true });
    const open = plain.open.bind(plain);
    plain.open = async (path, options) => {
      const file = await open(path, options);
      const withoutBlocking: VfsFile = Object.create(file) as VfsFile;
      Object.defineProperty(withoutBlocking, 'syncBlocking', { value: undefined });
      return withoutBlocking;
    };
    const fallback = await WalWriter.create(plain, LOG_PATH, { logNumber: LOG_NUMBER, syncGate: new ScriptedGate() });
    for (let i = 0; i < 12; i++) {
      fallback.appendSync([new Uint8Array(10)]);
      await fallback.sync();
    }
    expect(fallback.syncGate.blocking).toBe(true);
    expect(fallback.failed).toBe(false);
  });

  it('shares what it learned with the next log through the same gate', async () => {
    const { vfs, calls } = countingVfs();
    await vfs.mkdir('/db', { recursive: true });
    const first = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, syncGate: new ScriptedGate() });
    for (let i = 0; i < 8; i++) await first.sync();
    const second = await WalWriter.create(vfs, '/db/000002.log', { logNumber: 2, syncGate: first.syncGate });
    const blockingBefore = calls.blocking;
    await second.sync();
    expect(calls.blocking).toBe(blockingBefore + 1);
  });

  it('fails for good when a blocking sync fails, as when a pooled one does', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db', { recursive: true });
    const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, syncGate: new ScriptedGate() });
    for (let i = 0; i < 8; i++) await writer.sync();
    expect(writer.syncGate.blocking).toBe(true);
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(writer.sync()).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    expect(writer.failed).toBe(true);
    expect(() => writer.appendSync([new Uint8Array(1)])).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
  });
});
