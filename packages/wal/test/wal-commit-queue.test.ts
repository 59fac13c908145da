import { equalBytes, isKvError } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import type { Vfs, VfsFile } from '@kv/vfs';
import { describe, expect, test } from 'vitest';
import { RECORD_PAYLOAD_BYTES_MAX, WalCommitQueue, WalWriter } from '../src/index.js';
import type { WalPosition } from '../src/index.js';
import { LOG_NUMBER, LOG_PATH, patterned, readLog } from './helpers.js';

/**
 * A MemoryVfs whose file syncs take `delayMs` of wall time, like a real fdatasync, so that
 * submissions can arrive while a sync is in flight.
 */
function slowSyncVfs(inner: MemoryVfs, delayMs: number): Vfs {
  const slowFile = (file: VfsFile): VfsFile =>
    new Proxy(file, {
      get(target, property, receiver) {
        if (property === 'sync') {
          return async () => {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            await target.sync();
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'open') return async (...args: Parameters<Vfs['open']>) => slowFile(await target.open(...args));
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function setup(options: { syncDelayMs?: number; groupBytesMax?: number } = {}): Promise<{ vfs: MemoryVfs; writer: WalWriter; queue: WalCommitQueue }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  await vfs.syncDir('/');
  const writer = await WalWriter.create(slowSyncVfs(vfs, options.syncDelayMs ?? 0), LOG_PATH, { logNumber: LOG_NUMBER });
  const queue = new WalCommitQueue(writer, options.groupBytesMax === undefined ? undefined : { groupBytesMax: options.groupBytesMax });
  return { vfs, writer, queue };
}

/** The payloads of the records that survive a power loss, read strictly. */
async function durablePayloads(vfs: MemoryVfs): Promise<Uint8Array[]> {
  const { records } = await readLog(vfs.crashImage({ mode: 'power-loss' }), { mode: 'absoluteConsistency' });
  return records.map((record) => record.payload);
}

describe('WalCommitQueue', () => {
  test('coalesces 100 concurrent durable submits into far fewer syncs and settles them in order', async () => {
    const { vfs, writer, queue } = await setup({ syncDelayMs: 1 });
    const payloads = Array.from({ length: 100 }, (_, i) => patterned(20 + i, i));
    const settled: number[] = [];
    const positions = await Promise.all(
      payloads.map((payload, i) =>
        queue.submit(payload, { sync: true }).then((position) => {
          settled.push(i);
          return position;
        }),
      ),
    );
    expect(settled).toEqual(payloads.map((_, i) => i));
    expect(queue.stats.records).toBe(100);
    expect(queue.stats.syncs).toBeLessThanOrEqual(2);
    expect(positions.map((position) => position.offset)).toEqual([...positions.map((position) => position.offset)].sort((x, y) => x - y));
    const { records } = await readLog(vfs.crashImage({ mode: 'power-loss' }), { mode: 'absoluteConsistency' });
    expect(records.every((record, i) => equalBytes(record.payload, payloads[i] ?? new Uint8Array(1)))).toBe(true);
    expect(records.map((record) => record.position)).toEqual(positions);
    await queue.close();
    await writer.close();
  });

  test('groups the submits of writers that wait for each other, costing about one sync per group', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 2 });
    const order: number[] = [];
    const writersCount = 8;
    const writesEach = 10;
    const writers = Array.from({ length: writersCount }, async (_, w) => {
      for (let i = 0; i < writesEach; i++) {
        await queue.submit(patterned(32, w * 100 + i), { sync: true });
        order.push(w);
      }
    });
    await Promise.all(writers);
    expect(order.length).toBe(writersCount * writesEach);
    expect(queue.stats.syncs).toBeLessThan((writersCount * writesEach) / 3);
    expect(queue.stats.syncs).toBe(queue.stats.groups);
    await writer.close();
  });

  test('writers settled by one sync all join the next group, however many promise reactions their next write takes', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 1 });
    const writersCount = 8;
    const writesEach = 10;
    // An engine's durable put settles its caller some reactions after the queue settles it,
    // and the callers come back with their next put after different numbers of reactions.
    const writers = Array.from({ length: writersCount }, async (_, w) => {
      for (let i = 0; i < writesEach; i++) {
        await queue.submit(patterned(32, w * 100 + i), { sync: true });
        for (let reaction = 0; reaction < w; reaction++) await Promise.resolve();
      }
    });
    await Promise.all(writers);
    expect(queue.stats).toEqual({ groups: writesEach, records: writersCount * writesEach, syncs: writesEach });
    await writer.close();
  });

  test('submits that arrive during a sync form the next group', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 5 });
    const first = queue.submit(patterned(1, 1), { sync: true });
    await new Promise((resolve) => setTimeout(resolve, 1));
    const later = Array.from({ length: 10 }, (_, i) => queue.submit(patterned(1, i + 2), { sync: true }));
    await Promise.all([first, ...later]);
    expect(queue.stats).toEqual({ groups: 2, records: 11, syncs: 2 });
    await writer.close();
  });

  test('does not sync a group in which nobody asked for it', async () => {
    const { queue, writer } = await setup();
    await Promise.all([queue.submit(patterned(5, 1), { sync: false }), queue.submit(patterned(5, 2), { sync: false })]);
    expect(queue.stats).toEqual({ groups: 1, records: 2, syncs: 0 });
    await writer.close();
  });

  test('settles mixed sync and non-sync submits strictly in submission order', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 1 });
    const settled: number[] = [];
    const all: Promise<WalPosition>[] = [];
    for (let i = 0; i < 30; i++) {
      all.push(queue.submit(patterned(10, i), { sync: i % 7 === 0 }).then((position) => (settled.push(i), position)));
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(all);
    expect(settled).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await writer.close();
  });

  test('bounds a group by groupBytesMax, but always takes at least one record', async () => {
    const small = await setup({ groupBytesMax: 250 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => small.queue.submit(patterned(100, i), { sync: false })));
    expect(small.queue.stats.groups).toBe(5);
    await small.writer.close();
    const tiny = await setup({ groupBytesMax: 1 });
    await Promise.all(Array.from({ length: 3 }, (_, i) => tiny.queue.submit(patterned(100, i), { sync: false })));
    expect(tiny.queue.stats.groups).toBe(3);
    await tiny.writer.close();
  });

  test('rejects every member of a group whose write fails with NO_SPACE, and later groups still commit', async () => {
    const { vfs, queue, writer } = await setup();
    await queue.submit(patterned(10, 0), { sync: true });
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    const failed = await Promise.allSettled([1, 2, 3].map((i) => queue.submit(patterned(10, i), { sync: true })));
    expect(failed.map((result) => result.status === 'rejected' && isKvError(result.reason, 'NO_SPACE'))).toEqual([true, true, true]);
    await Promise.all([4, 5].map((i) => queue.submit(patterned(10, i), { sync: true })));
    expect(await durablePayloads(vfs)).toEqual([0, 4, 5].map((i) => patterned(10, i)));
    await writer.close();
  });

  test('rejects the group whose sync fails, and every group after it', async () => {
    const { vfs, queue, writer } = await setup();
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(queue.submit(patterned(10, 1), { sync: true })).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    await expect(queue.submit(patterned(10, 2), { sync: false })).rejects.toMatchObject({ code: 'IO_ERROR' });
    await writer.close();
  });

  test('drain waits for everything in flight; close refuses new submits with NOT_OPEN', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 2 });
    let done = 0;
    for (let i = 0; i < 5; i++) void queue.submit(patterned(3, i), { sync: true }).then(() => done++);
    await queue.drain();
    expect(done).toBe(5);
    await queue.close();
    await expect(queue.submit(patterned(1, 1), { sync: false })).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await queue.drain();
    await writer.close();
  });

  test('submitAlone appends an idle record before it returns and returns its position; otherwise the record joins a group', async () => {
    // Goal: the idle fast path writes at once and hands back the position itself, and never
    // when a group is forming; settling stays in submission order
    // across both paths.
    const { vfs, queue, writer } = await setup({ syncDelayMs: 1 });
    const settled: number[] = [];
    const track = (i: number, submitted: WalPosition | Promise<WalPosition>): Promise<WalPosition> =>
      Promise.resolve(submitted).then((position) => {
        settled.push(i);
        return position;
      });
    const before = writer.sizeBytes;
    const first = queue.submitAlone(patterned(12, 0));
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toEqual({ offset: before, length: writer.sizeBytes - before });
    expect(queue.stats).toEqual({ groups: 1, records: 1, syncs: 0 });
    settled.push(0);
    // Not alone: joins the next group, and so does a later lone record in the same step.
    const grouped = [track(1, queue.submit(patterned(12, 1), { sync: false })), track(2, queue.submitAlone(patterned(12, 2)))];
    expect(queue.stats.records).toBe(1);
    await Promise.all(grouped);
    expect(queue.stats).toEqual({ groups: 2, records: 3, syncs: 0 });
    // A group is forming (a durable record waits for its run): the lone record joins it.
    const durable = track(3, queue.submit(patterned(12, 3), { sync: true }));
    const lone = queue.submitAlone(patterned(12, 4));
    expect(lone).toBeInstanceOf(Promise);
    await Promise.all([durable, track(4, lone)]);
    expect(queue.stats).toEqual({ groups: 3, records: 5, syncs: 1 });
    expect(settled).toEqual([0, 1, 2, 3, 4]);
    expect(await durablePayloads(vfs)).toEqual([0, 1, 2, 3, 4].map((i) => patterned(12, i)));
    await writer.close();
  });

  test('a failed submitAlone append is rejected after the repair; a submit made meanwhile waits and commits after it', async () => {
    // Goal: the fast path fails like a group: the partial write is cut off before anyone
    // learns of the failure, later records follow the last good one, and drain waits for all.
    const { vfs, queue, writer } = await setup();
    await queue.submit(patterned(10, 0), { sync: true });
    // A continuation of a settled submission runs before its run has ended: wait for idle.
    await queue.drain();
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    const failed = Promise.resolve(queue.submitAlone(patterned(10, 1)));
    // The queue is repairing: this one must not be appended before the repair, nor alone.
    const after = Promise.resolve(queue.submitAlone(patterned(10, 2)));
    let drained = false;
    const drain = queue.drain().then(() => {
      drained = true;
    });
    await expect(failed).rejects.toMatchObject({ code: 'NO_SPACE' });
    await after;
    await drain;
    expect(drained).toBe(true);
    await queue.submit(patterned(10, 3), { sync: true });
    expect(await durablePayloads(vfs)).toEqual([0, 2, 3].map((i) => patterned(10, i)));
    await writer.close();
  });

  test('a lone failed submitAlone append: drain and close wait for the repair, then resolve', async () => {
    const { vfs, queue, writer } = await setup();
    vfs.failOperation({ kind: 'write', nth: 1, error: 'EIO' });
    const order: string[] = [];
    const failed = Promise.resolve(queue.submitAlone(patterned(10, 1))).catch(() => order.push('rejected'));
    const drained = queue.drain().then(() => order.push('drained'));
    const closed = queue.close().then(() => order.push('closed'));
    await Promise.all([failed, drained, closed]);
    expect(order).toEqual(['rejected', 'drained', 'closed']);
    await expect(Promise.resolve(queue.submitAlone(patterned(10, 2)))).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await writer.close();
  });

  test('a submitAlone append whose repair fails: the next one retries the repair and fails, the one after commits', async () => {
    const { vfs, queue, writer } = await setup();
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    vfs.failOperation({ kind: 'truncate', nth: 1, error: 'EIO' });
    await expect(Promise.resolve(queue.submitAlone(patterned(10, 1)))).rejects.toMatchObject({ code: 'NO_SPACE' });
    await queue.drain();
    await expect(Promise.resolve(queue.submitAlone(patterned(10, 2)))).rejects.toMatchObject({ code: 'IO_ERROR' });
    await queue.drain();
    await queue.submit(patterned(10, 3), { sync: true });
    expect(await durablePayloads(vfs)).toEqual([patterned(10, 3)]);
    await writer.close();
  });

  test('submitAlone while a sync is in flight joins the next group and settles after it', async () => {
    const { queue, writer } = await setup({ syncDelayMs: 2 });
    const order: number[] = [];
    const durable = queue.submit(patterned(10, 1), { sync: true }).then(() => order.push(1));
    // Let the run start: its group is written and its sync is in flight.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queue.stats.records).toBe(1);
    const lone = Promise.resolve(queue.submitAlone(patterned(10, 2))).then(() => order.push(2));
    expect(queue.stats.records).toBe(1);
    await Promise.all([durable, lone]);
    expect(order).toEqual([1, 2]);
    await writer.close();
  });

  test('a submitAlone append after a failed sync rejects with IO_ERROR and leaves the queue idle', async () => {
    const { vfs, queue, writer } = await setup();
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(queue.submit(patterned(10, 1), { sync: true })).rejects.toMatchObject({ code: 'IO_ERROR' });
    await queue.drain();
    await expect(Promise.resolve(queue.submitAlone(patterned(10, 2)))).rejects.toMatchObject({ code: 'IO_ERROR' });
    await queue.drain();
    await queue.close();
    await writer.close();
  });

  test('submitAlone refuses what submit refuses: a record over the limit, a closed queue', async () => {
    const { queue, writer } = await setup();
    const tooLarge = { length: RECORD_PAYLOAD_BYTES_MAX + 1 } as Uint8Array;
    await expect(Promise.resolve(queue.submitAlone(tooLarge))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(queue.stats.records).toBe(0);
    await queue.close();
    await expect(Promise.resolve(queue.submitAlone(patterned(4, 1)))).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await writer.close();
  });

  test('rejects an invalid groupBytesMax with INVALID_ARGUMENT', async () => {
    const { writer } = await setup();
    expect(() => new WalCommitQueue(writer, { groupBytesMax: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await writer.close();
  });
});
