import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDecoder, TextEncoder } from 'node:util';
import { MemoryVfs, NodeVfs } from '../src/index.js';
import type { Vfs, VfsFile } from '../src/index.js';

/** One backend under test: a fresh vfs, a directory to work in, and how to clean it up. */
export interface BackendFixture {
  vfs: Vfs;
  root: string;
  cleanup(): void;
}

export interface Backend {
  name: string;
  create(): Promise<BackendFixture>;
}

export const backends: Backend[] = [
  {
    name: 'NodeVfs',
    create: async () => {
      const root = mkdtempSync(join(tmpdir(), 'kv-vfs-'));
      return { vfs: new NodeVfs(), root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'MemoryVfs',
    create: async () => {
      const vfs = new MemoryVfs();
      await vfs.mkdir('/work');
      return { vfs, root: '/work', cleanup: () => undefined };
    },
  },
];

export const encoder: TextEncoder = new TextEncoder();
export const decoder: TextDecoder = new TextDecoder();

/** Bytes of a UTF-8 string, to keep test data readable. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Creates (or replaces the start of) a file with `text` at position 0. */
export async function writeText(vfs: Vfs, path: string, text: string): Promise<void> {
  const file = await vfs.open(path, { create: true });
  await file.write({ data: bytes(text), position: 0 });
  await file.close();
}

export async function readText(vfs: Vfs, path: string): Promise<string> {
  return decoder.decode(await vfs.readFile(path));
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The file's `syncBlocking`, which both backends implement (the interface makes it optional). */
export function syncBlockingOf(file: VfsFile): () => void {
  const syncBlocking = file.syncBlocking;
  if (syncBlocking === undefined) throw new Error(`${file.path}: no syncBlocking`);
  return () => syncBlocking.call(file);
}
