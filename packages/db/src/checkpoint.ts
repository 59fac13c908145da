/**
 * A consistent, openable copy of a database in another directory, made while writes go on.
 * The caller flushes first, so every write acknowledged before the checkpoint began is in a
 * page file; the page files of one installed version (pinned, so no compaction deletes them
 * meanwhile) are then copied and fsynced, and a manifest naming exactly them is written with
 * CURRENT. The copy needs no WAL: it holds the state after some flush, which contains every
 * write before the call and no write without all earlier ones (flushes are in sequence order).
 *
 * Page files never change once written, so each is hard-linked where the file system allows
 * (same device) and copied and fsynced otherwise.
 */
import { dirname } from 'node:path';
import { InvalidArgumentError, toFileNum } from '@kv/base';
import { Manifest, Version } from '@kv/manifest';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

const COPY_CHUNK_BYTES = 1024 * 1024;

export async function writeCheckpoint(options: { vfs: Vfs; sourceDir: string; targetDir: string; version: Version }): Promise<void> {
  const { vfs, sourceDir, targetDir, version } = options;
  const existing = await vfs.stat(targetDir);
  if (existing !== undefined && (!existing.isDirectory || (await vfs.list(targetDir)).length > 0)) {
    throw new InvalidArgumentError('checkpoint directory', `${targetDir} already exists and is not an empty directory`);
  }
  await makeDurableDirectory(vfs, targetDir);
  for (const file of version.files()) {
    const name = tableFileName(toFileNum(file.fileNumber));
    const linked = await vfs.link(`${sourceDir}/${name}`, `${targetDir}/${name}`).then(() => true, () => false);
    if (!linked) await copyFile(vfs, `${sourceDir}/${name}`, `${targetDir}/${name}`);
  }
  await vfs.syncDir(targetDir);
  const manifestNumber = version.nextFileNumber;
  // The copy has no WAL segment: logNumber 0 says none is needed.
  const target = Version.empty().apply({ ...version.snapshot(), logNumber: 0, nextFileNumber: manifestNumber + 1 });
  const manifest = await Manifest.create(vfs, targetDir, { manifestNumber, version: target });
  await manifest.close();
}

async function copyFile(vfs: Vfs, from: string, to: string): Promise<void> {
  const source = await vfs.open(from);
  const target = await vfs.open(to, { create: true, exclusive: true });
  try {
    const size = await source.size();
    const buffer = new Uint8Array(Math.min(COPY_CHUNK_BYTES, Math.max(1, size)));
    for (let position = 0; position < size; ) {
      const read = await source.read({ buffer, position });
      if (read === 0) throw new InvalidArgumentError('checkpoint', `${from} shrank while being copied`);
      await target.write({ data: buffer.subarray(0, read), position });
      position += read;
    }
    await target.sync();
  } finally {
    await source.close();
    await target.close();
  }
}

/**
 * Creates `dir` (and missing parents) so that it survives a power loss: a new directory's
 * entry is durable only once its parent directory is synced.
 */
async function makeDurableDirectory(vfs: Vfs, dir: string): Promise<void> {
  const created: string[] = [];
  for (let path = dir; (await vfs.stat(path)) === undefined; path = dirname(path)) created.push(path);
  await vfs.mkdir(dir, { recursive: true });
  for (const path of created) await vfs.syncDir(dirname(path));
}
