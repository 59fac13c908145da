/**
 * Answers "is there any valid fragment after this damage?", which separates a damaged tail
 * (nothing valid follows: the log simply ends there) from damage in the middle of the log.
 * A valid fragment is one with a good checksum (which covers this log's number) and a record
 * fragment type.
 */
import { BLOCK_SIZE_BYTES, FRAGMENT_HEADER_BYTES } from './format.js';
import type { BlockSource } from './block-source.js';
import { parseFragment } from './parse-fragment.js';

/**
 * Looks from `nextOffset` (where the damaged fragment's length says the next one starts, if
 * known) to the end of that block, then from the start of every later block from
 * `resumeOffset` on, following each block's chain of fragments.
 */
export async function hasValidFragmentAfter(
  source: BlockSource,
  options: { seed: number; resumeOffset: number; nextOffset?: number },
): Promise<boolean> {
  if (options.nextOffset !== undefined && options.nextOffset < options.resumeOffset) {
    if (await chainHasValidFragment(source, { seed: options.seed, offset: options.nextOffset })) return true;
  }
  const firstBlock = Math.ceil(options.resumeOffset / BLOCK_SIZE_BYTES);
  for (let index = firstBlock; index < source.blockCount; index++) {
    if (await chainHasValidFragment(source, { seed: options.seed, offset: index * BLOCK_SIZE_BYTES })) return true;
  }
  return false;
}

/** Follows fragment lengths from `offset` to the end of its block, looking for a valid fragment. */
async function chainHasValidFragment(source: BlockSource, options: { seed: number; offset: number }): Promise<boolean> {
  if (options.offset >= source.fileSizeBytes) return false;
  const blockIndex = Math.floor(options.offset / BLOCK_SIZE_BYTES);
  const block = await source.load(blockIndex);
  let within = options.offset - blockIndex * BLOCK_SIZE_BYTES;
  // Every step moves at least one fragment header forward, so the loop ends within the block.
  for (let step = 0; step <= BLOCK_SIZE_BYTES / FRAGMENT_HEADER_BYTES; step++) {
    const parsed = parseFragment(block, { within, seed: options.seed });
    if (parsed.kind === 'fragment') return true;
    if (parsed.kind === 'blockEnd' || parsed.nextWithin === undefined) return false;
    within = parsed.nextWithin;
  }
  return false;
}

/**
 * Whether every byte from `offset` to the end of the file is zero: space a writer wrote ahead
 * of its appends (`WalWriter`'s preallocation) and never used, or that an append extended the
 * file into and the OS never wrote back.
 */
export async function onlyZerosFrom(source: BlockSource, offset: number): Promise<boolean> {
  for (let index = Math.floor(offset / BLOCK_SIZE_BYTES); index < source.blockCount; index++) {
    const block = await source.load(index);
    for (let i = Math.max(0, offset - index * BLOCK_SIZE_BYTES); i < block.length; i++) if (block[i] !== 0) return false;
  }
  return true;
}
