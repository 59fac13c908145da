import { InvalidArgumentError } from '@kv/base';
import { buildTree, collectUnits, persistedChanges, planCrash } from './crash-plan.js';
import type { CrashChoice, CrashPlan, CrashUnit } from './crash-plan.js';
import { LogReplay } from './log-replay.js';
import { MemoryVfs } from './memory-vfs.js';
import type { OperationLog } from './operation-log.js';
import { SeededRandom } from './seeded-random.js';

/**
 * How a crash state was made from its prefix:
 * - `power-loss`: only what was synced (file data) and dir-synced (entries) survives;
 * - `all-persisted`: every un-synced change persisted (what a process kill leaves);
 * - `subset`: some of the un-synced changes persisted (README, "Crash states");
 * - `torn`: a subset whose newest persisted write of one file persisted only in part.
 */
export type CrashStateKind = 'power-loss' | 'all-persisted' | 'subset' | 'torn';

export interface CrashState {
  /** How many operations of the log happened before the crash (0 to `log.length`). */
  readonly prefix: number;
  readonly kind: CrashStateKind;
  /** Which un-synced changes persisted and which were lost, by log index, for failure messages. */
  readonly description: string;
  /** Equal for states with the same files and contents (compared by identity, so cheap). */
  readonly fingerprint: string;
  /** A new, independent `MemoryVfs` in this state; every call builds a fresh one. */
  image(): MemoryVfs;
}

export interface CrashStateOptions {
  /** Every subset of the un-synced changes is tried when there are at most this many. Default 6. */
  exhaustiveChangesMax?: number;
  /** Otherwise this many seeded random subsets, after the in-order ones. Default 8. */
  sampledSubsets?: number;
  /** Torn variants per subset: cuts of its newest persisted writes. Default 2. */
  tornCutsPerSubset?: number;
  /** Writes tear at multiples of this (file offset); one more cut per write is at a random byte. Default 512. */
  sectorBytes?: number;
  /** At most this many states per prefix, the most likely first. Default: no limit. */
  statesPerPrefixMax?: number;
  /** Only prefixes from `fromPrefix` to `toPrefix` (inclusive). Default: all, 0 to `log.length`. */
  fromPrefix?: number;
  toPrefix?: number;
  /** Seeds the sampled subsets and the cut positions. Default 0x5eed. */
  seed?: number;
}

type Settings = Required<CrashStateOptions>;

/**
 * The crash states of every prefix of `log` (README, "Crash states"): for each prefix in
 * order, the power-loss state, then the state with every un-synced change persisted, then the
 * in-order subsets (the first k changes), then every other subset when there are few changes
 * or a seeded sample when there are many, each followed by one torn variant; then the other
 * torn variants. States of one
 * prefix can coincide; compare `fingerprint`s to skip repeats. Deterministic for a log and
 * options.
 */
export function* crashStates(log: OperationLog, options: CrashStateOptions = {}): Generator<CrashState, void, undefined> {
  const settings = resolveSettings(log, options);
  const random = new SeededRandom(settings.seed);
  const replay = new LogReplay(log);
  for (let prefix = 0; prefix <= settings.toPrefix; prefix++) {
    const operation = log.operations[prefix - 1];
    if (operation !== undefined) replay.apply(operation);
    if (prefix < settings.fromPrefix) continue;
    const units = collectUnits(replay);
    let count = 0;
    for (const choice of choicesOf(units, settings, random)) {
      yield toState(replay, units, choice);
      if (++count >= settings.statesPerPrefixMax) break;
    }
  }
}

/**
 * One crash state given by log indexes, to replay a state a failure message named: `persisted`
 * lists the operations whose un-synced changes persisted (0 stands for every change older than
 * the log), `torn` the write persisted only in part.
 */
export function crashStateAt(log: OperationLog, spec: { prefix: number; persisted: readonly number[]; torn?: { index: number; keptBytes: number } }): CrashState {
  if (!Number.isSafeInteger(spec.prefix) || spec.prefix < 0 || spec.prefix > log.length) {
    throw new InvalidArgumentError('crashStateAt', `prefix must be from 0 to ${log.length}, got ${spec.prefix}`);
  }
  const replay = new LogReplay(log);
  for (const operation of log.operations.slice(0, spec.prefix)) replay.apply(operation);
  const units = collectUnits(replay);
  const wanted = new Set(spec.persisted);
  const persisted = units.map((unit) => wanted.has(unit.index));
  const tornUnit = spec.torn === undefined ? -1 : units.findIndex((unit) => unit.kind === 'file' && unit.index === spec.torn?.index);
  const choice: CrashChoice = spec.torn === undefined || tornUnit < 0 ? { persisted } : { persisted, tear: { unit: tornUnit, keptBytes: spec.torn.keptBytes } };
  return toState(replay, units, choice);
}

function resolveSettings(log: OperationLog, options: CrashStateOptions): Settings {
  const settings: Settings = {
    exhaustiveChangesMax: options.exhaustiveChangesMax ?? 6,
    sampledSubsets: options.sampledSubsets ?? 8,
    tornCutsPerSubset: options.tornCutsPerSubset ?? 2,
    sectorBytes: options.sectorBytes ?? 512,
    statesPerPrefixMax: options.statesPerPrefixMax ?? Infinity,
    fromPrefix: Math.max(0, options.fromPrefix ?? 0),
    toPrefix: Math.min(log.length, options.toPrefix ?? log.length),
    seed: options.seed ?? 0x5eed,
  };
  if (settings.exhaustiveChangesMax > 16) throw new InvalidArgumentError('crashStates', 'exhaustiveChangesMax above 16 enumerates too many subsets');
  if (!(settings.sectorBytes >= 1) || !(settings.statesPerPrefixMax >= 1)) throw new InvalidArgumentError('crashStates', 'sectorBytes and statesPerPrefixMax must be at least 1');
  return settings;
}

/**
 * The choices of one prefix, most likely first: each subset followed by its first torn
 * variant, then the further torn variants of every subset. So a per-prefix limit still
 * reaches the out-of-order subsets.
 */
function* choicesOf(units: readonly CrashUnit[], settings: Settings, random: SeededRandom): Generator<CrashChoice> {
  const later: CrashChoice[][] = [];
  for (const persisted of subsetsOf(units.length, settings, random)) {
    yield { persisted };
    const [first, ...rest] = tearsOf(units, persisted, settings, random);
    if (first !== undefined) yield first;
    later.push(rest);
  }
  for (const tears of later) yield* tears;
}

/** None, all, the in-order prefixes, then every other subset or a seeded sample; no repeats. */
function* subsetsOf(count: number, settings: Settings, random: SeededRandom): Generator<boolean[]> {
  const seen = new Set<string>();
  const fresh = (subset: boolean[]): boolean => {
    const key = subset.map((bit) => (bit ? '1' : '0')).join('');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (let kept = 0; kept <= count; kept++) {
    // Order: none, all, then the first k for k = 1 .. count - 1.
    const first = kept === 0 ? 0 : kept === 1 ? count : kept - 1;
    const subset = Array.from({ length: count }, (_, index) => index < first);
    if (fresh(subset)) yield subset;
  }
  if (count <= settings.exhaustiveChangesMax) {
    const masks = Array.from({ length: 2 ** count }, (_, mask) => mask);
    shuffle(masks, random);
    for (const mask of masks) {
      const subset = Array.from({ length: count }, (_, index) => (mask & (1 << index)) !== 0);
      if (fresh(subset)) yield subset;
    }
    return;
  }
  for (let sample = 0; sample < settings.sampledSubsets; sample++) {
    const subset = Array.from({ length: count }, () => random.below(2) === 1);
    if (fresh(subset)) yield subset;
  }
}

/**
 * Cuts of the newest persisted writes, newest first: at sector boundaries inside the write,
 * then at one random byte. Only a write that is the last persisted change of its file is cut.
 */
function tearsOf(units: readonly CrashUnit[], persisted: readonly boolean[], settings: Settings, random: SeededRandom): CrashChoice[] {
  const tears: CrashChoice[] = [];
  for (let position = units.length - 1; position >= 0 && tears.length < settings.tornCutsPerSubset; position--) {
    const unit = units[position];
    if (unit?.kind !== 'file' || unit.change.kind !== 'write' || persisted[position] !== true) continue;
    if (!isLastPersisted(units, persisted, unit)) continue;
    for (const keptBytes of cutsOf(unit.change.position, unit.change.data.length, settings, random)) {
      if (tears.length < settings.tornCutsPerSubset) tears.push({ persisted, tear: { unit: position, keptBytes } });
    }
  }
  return tears;
}

function isLastPersisted(units: readonly CrashUnit[], persisted: readonly boolean[], unit: CrashUnit & { kind: 'file' }): boolean {
  const chosen = new Set<number>();
  units.forEach((other, position) => {
    if (other.kind === 'file' && other.file === unit.file && persisted[position] === true) chosen.add(other.pendingIndex);
  });
  const kept = persistedChanges(unit.file.pending, chosen);
  return kept[kept.length - 1] === unit.pendingIndex;
}

function cutsOf(position: number, length: number, settings: Settings, random: SeededRandom): number[] {
  const cuts: number[] = [];
  const firstBoundary = Math.ceil((position + 1) / settings.sectorBytes) * settings.sectorBytes;
  const boundaries: number[] = [];
  for (let boundary = firstBoundary; boundary < position + length && boundaries.length < 64; boundary += settings.sectorBytes) boundaries.push(boundary - position);
  if (boundaries.length > 0) cuts.push(boundaries[random.below(boundaries.length)] as number);
  if (length > 1) cuts.push(1 + random.below(length - 1));
  return [...new Set(cuts)];
}

function toState(replay: LogReplay, units: readonly CrashUnit[], choice: CrashChoice): CrashState {
  const plan: CrashPlan = planCrash(replay, units, choice);
  const kind: CrashStateKind = choice.tear !== undefined ? 'torn'
    : choice.persisted.every((bit) => !bit) ? 'power-loss'
    : choice.persisted.every((bit) => bit) ? 'all-persisted' : 'subset';
  return {
    prefix: replay.prefix,
    kind,
    description: describeChoice(replay.prefix, units, choice, kind),
    fingerprint: plan.fingerprint,
    image: () => MemoryVfs.fromTree(buildTree(plan)),
  };
}

function describeChoice(prefix: number, units: readonly CrashUnit[], choice: CrashChoice, kind: CrashStateKind): string {
  const persisted = units.filter((_, position) => choice.persisted[position] === true).map((unit) => unit.label);
  const lost = units.filter((_, position) => choice.persisted[position] !== true).map((unit) => unit.label);
  const torn = choice.tear === undefined ? '' : `; torn: ${units[choice.tear.unit]?.label ?? '?'} kept ${choice.tear.keptBytes} bytes`;
  return `crash after operation #${prefix} (${kind}); persisted: [${persisted.join('; ')}]; lost: [${lost.join('; ')}]${torn}`;
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = random.below(index + 1);
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
}
