// Compares candidate memtable structures on the engine's workload: 16-byte random keys with
// 100-byte values, one million entries. Self-contained on purpose, so that the losing candidates
// need not live in src/.
//
// Run: node --expose-gc packages/memtable/bench/structures.mjs [entryCount]
//
// Every candidate keeps one object per entry where the engine needs an entry object anyway
// (get and the iterator return it), except the typed-array skip list, which has to build one
// per get. Memory is the heapUsed + arrayBuffers delta after a forced GC, for the structure
// only: keys and values are allocated before the baseline and measured separately.

const ENTRY_COUNT = Number(process.argv[2] ?? 1_000_000);
const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const PUT = 1;

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(1);
}

// Same as compareBytes in @kv/base (the JS loop; keys here are shorter than its native cut-off).
function compareBytes(a, b) {
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    const diff = a[i] - b[i];
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

// Internal order: key ascending, then seq descending. Negative when entry sorts before target.
function compareEntry(entry, key, seq) {
  const c = compareBytes(entry.key, key);
  return c !== 0 ? c : seq - entry.seq;
}

// ---------------------------------------------------------------- key prefixes
// The first 6 key bytes as an exact integer in a Float64Array next to each leaf's entries. A
// smaller prefix means a smaller key, so most comparisons read one contiguous array instead of
// chasing entry -> Uint8Array -> bytes (three cache misses on a big table).
const PREFIX_BYTES = 6;
function keyPrefix(key) {
  let p = 0;
  const n = key.length < PREFIX_BYTES ? key.length : PREFIX_BYTES;
  for (let i = 0; i < n; i++) p = p * 256 + key[i];
  for (let i = n; i < PREFIX_BYTES; i++) p *= 256;
  return p;
}
// ---------------------------------------------------------------- skip list, node objects
const SKIP_HEIGHT_MAX = 12;
class SkipNode {
  constructor(key, seq, kind, value, height) {
    this.key = key; this.seq = seq; this.kind = kind; this.value = value;
    this.next = new Array(height).fill(null);
  }
}
class SkipListObjects {
  constructor() {
    this.head = new SkipNode(new Uint8Array(0), 0, 0, new Uint8Array(0), SKIP_HEIGHT_MAX);
    this.height = 1;
    this.prevs = new Array(SKIP_HEIGHT_MAX).fill(null);
    this.rng = 0x2545f491;
  }
  randomHeight() {
    let h = 1;
    let r = (this.rng = (Math.imul(this.rng, 1103515245) + 12345) >>> 0);
    while (h < SKIP_HEIGHT_MAX && (r & 3) === 0) { h++; r >>>= 2; }
    return h;
  }
  add(key, seq, kind, value) {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || compareEntry(n, key, seq) >= 0) break;
        x = n;
      }
      this.prevs[level] = x;
    }
    const h = this.randomHeight();
    if (h > this.height) {
      for (let level = this.height; level < h; level++) this.prevs[level] = this.head;
      this.height = h;
    }
    const node = new SkipNode(key, seq, kind, value, h);
    for (let level = 0; level < h; level++) {
      node.next[level] = this.prevs[level].next[level];
      this.prevs[level].next[level] = node;
    }
  }
  get(key, seqMax) {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || compareEntry(n, key, seqMax) >= 0) break;
        x = n;
      }
    }
    const n = x.next[0];
    return n !== null && compareBytes(n.key, key) === 0 ? n : undefined;
  }
  forEach(fn) {
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) fn(n);
  }
}

// ---------------------------------------------------------------- skip list, parallel typed arrays
class SkipListArrays {
  constructor() {
    this.capacity = 1024;
    this.count = 1; // node 0 is the head
    this.keys = [new Uint8Array(0)];
    this.values = [new Uint8Array(0)];
    this.seqs = new Float64Array(this.capacity);
    this.prefixes = new Float64Array(this.capacity);
    this.kinds = new Uint8Array(this.capacity);
    this.towerStarts = new Int32Array(this.capacity);
    this.links = new Int32Array(this.capacity * 2).fill(-1);
    this.linkCount = SKIP_HEIGHT_MAX;
    this.height = 1;
    this.prevs = new Int32Array(SKIP_HEIGHT_MAX);
    this.rng = 0x2545f491;
  }
  randomHeight() {
    let h = 1;
    let r = (this.rng = (Math.imul(this.rng, 1103515245) + 12345) >>> 0);
    while (h < SKIP_HEIGHT_MAX && (r & 3) === 0) { h++; r >>>= 2; }
    return h;
  }
  grow(h) {
    if (this.count === this.capacity) {
      this.capacity *= 2;
      const seqs = new Float64Array(this.capacity); seqs.set(this.seqs); this.seqs = seqs;
      const prefixes = new Float64Array(this.capacity); prefixes.set(this.prefixes); this.prefixes = prefixes;
      const kinds = new Uint8Array(this.capacity); kinds.set(this.kinds); this.kinds = kinds;
      const starts = new Int32Array(this.capacity); starts.set(this.towerStarts); this.towerStarts = starts;
    }
    if (this.linkCount + h > this.links.length) {
      const links = new Int32Array(this.links.length * 2).fill(-1); links.set(this.links); this.links = links;
    }
  }
  before(node, key, prefix, seq) {
    const p = this.prefixes[node];
    if (p !== prefix) return p < prefix;
    const c = compareBytes(this.keys[node], key);
    return c !== 0 ? c < 0 : this.seqs[node] > seq;
  }
  add(key, seq, kind, value) {
    const links = this.links, starts = this.towerStarts;
    const prefix = keyPrefix(key);
    let x = 0;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const n = links[starts[x] + level];
        if (n < 0 || !this.before(n, key, prefix, seq)) break;
        x = n;
      }
      this.prevs[level] = x;
    }
    const h = this.randomHeight();
    if (h > this.height) {
      for (let level = this.height; level < h; level++) this.prevs[level] = 0;
      this.height = h;
    }
    this.grow(h);
    const node = this.count++;
    this.keys.push(key); this.values.push(value);
    this.seqs[node] = seq; this.kinds[node] = kind; this.prefixes[node] = prefix;
    const start = this.linkCount;
    this.linkCount += h;
    this.towerStarts[node] = start;
    for (let level = 0; level < h; level++) {
      const p = this.towerStarts[this.prevs[level]] + level;
      this.links[start + level] = this.links[p];
      this.links[p] = node;
    }
  }
  get(key, seqMax) {
    const links = this.links, starts = this.towerStarts;
    const prefix = keyPrefix(key);
    let x = 0;
    for (let level = this.height - 1; level >= 0; level--) {
      for (;;) {
        const n = links[starts[x] + level];
        if (n < 0 || !this.before(n, key, prefix, seqMax)) break;
        x = n;
      }
    }
    const n = links[starts[x]];
    if (n < 0 || compareBytes(this.keys[n], key) !== 0) return undefined;
    return { key: this.keys[n], seq: this.seqs[n], kind: this.kinds[n], value: this.values[n] };
  }
  forEach(fn) {
    const links = this.links, starts = this.towerStarts;
    for (let n = links[starts[0]]; n >= 0; n = links[starts[n]]) {
      fn({ key: this.keys[n], seq: this.seqs[n], kind: this.kinds[n], value: this.values[n] });
    }
  }
}

// ---------------------------------------------------------------- sorted chunks (B+tree leaves)
class Leaf {
  constructor(entries) { this.entries = entries; this.next = null; }
}
class SortedChunks {
  constructor(leafMax) {
    this.leafMax = leafMax;
    this.leaves = [new Leaf([])];
    this.firsts = []; // first entry of leaves[i], for i >= 1 (leaf 0 takes everything smaller)
  }
  leafIndexFor(key, seq) {
    // Last leaf whose first entry sorts before or at the target.
    let lo = 0, hi = this.firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntry(this.firsts[mid], key, seq) <= 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  static lowerBound(entries, key, seq) {
    let lo = 0, hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntry(entries[mid], key, seq) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  add(key, seq, kind, value) {
    const index = this.leafIndexFor(key, seq);
    const leaf = this.leaves[index];
    const entries = leaf.entries;
    const pos = SortedChunks.lowerBound(entries, key, seq);
    const entry = { key, seq, kind, value };
    if (pos === entries.length) entries.push(entry); else entries.splice(pos, 0, entry);
    if (entries.length > this.leafMax) this.split(index, pos === entries.length - 1);
  }
  split(index, appending) {
    const leaf = this.leaves[index];
    // An append to the last leaf keeps the old leaf full: sequential fills stay dense.
    const at = appending && index === this.leaves.length - 1 ? leaf.entries.length - 1 : leaf.entries.length >>> 1;
    const right = new Leaf(leaf.entries.slice(at));
    leaf.entries.length = at;
    right.next = leaf.next;
    leaf.next = right;
    this.leaves.splice(index + 1, 0, right);
    this.firsts.splice(index, 0, right.entries[0]);
  }
  get(key, seqMax) {
    let leaf = this.leaves[this.leafIndexFor(key, seqMax)];
    let pos = SortedChunks.lowerBound(leaf.entries, key, seqMax);
    if (pos === leaf.entries.length) {
      leaf = leaf.next;
      if (leaf === null) return undefined;
      pos = 0;
    }
    const e = leaf.entries[pos];
    return compareBytes(e.key, key) === 0 ? e : undefined;
  }
  forEach(fn) {
    for (let leaf = this.leaves[0]; leaf !== null; leaf = leaf.next) {
      const entries = leaf.entries;
      for (let i = 0; i < entries.length; i++) fn(entries[i]);
    }
  }
}

// ---------------------------------------------------------------- sorted chunks + key prefixes
class PrefixLeaf {
  constructor(capacity) {
    this.entries = [];
    this.prefixes = new Float64Array(capacity);
    this.next = null;
  }
}
class PrefixChunks {
  constructor(leafMax) {
    this.leafMax = leafMax;
    this.leaves = [new PrefixLeaf(leafMax + 1)];
    this.firsts = [];
    this.firstPrefixes = new Float64Array(64);
  }
  leafIndexFor(key, prefix, seq) {
    const fp = this.firstPrefixes, firsts = this.firsts;
    let lo = 0, hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = fp[mid];
      const c = p !== prefix ? p - prefix : compareEntry(firsts[mid], key, seq);
      if (c <= 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  static lowerBound(leaf, key, prefix, seq) {
    const entries = leaf.entries, prefixes = leaf.prefixes;
    let lo = 0, hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = prefixes[mid];
      const c = p !== prefix ? p - prefix : compareEntry(entries[mid], key, seq);
      if (c < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  add(key, seq, kind, value) {
    const prefix = keyPrefix(key);
    const lastIndex = this.leaves.length - 1;
    const last = this.leaves[lastIndex].entries;
    let index, pos;
    if (last.length > 0 && compareEntry(last[last.length - 1], key, seq) < 0) {
      index = lastIndex; pos = last.length;
    } else {
      index = this.leafIndexFor(key, prefix, seq);
      pos = PrefixChunks.lowerBound(this.leaves[index], key, prefix, seq);
    }
    const leaf = this.leaves[index];
    const entries = leaf.entries;
    const entry = { key, seq, kind, value };
    if (pos === entries.length) entries.push(entry); else entries.splice(pos, 0, entry);
    leaf.prefixes.copyWithin(pos + 1, pos, entries.length - 1);
    leaf.prefixes[pos] = prefix;
    if (entries.length > this.leafMax) this.split(index, pos === entries.length - 1);
  }
  split(index, appending) {
    const leaf = this.leaves[index];
    const length = leaf.entries.length;
    const at = appending && index === this.leaves.length - 1 ? length - 1 : length >>> 1;
    const right = new PrefixLeaf(this.leafMax + 1);
    right.entries = leaf.entries.slice(at);
    right.prefixes.set(leaf.prefixes.subarray(at, length));
    leaf.entries.length = at;
    right.next = leaf.next;
    leaf.next = right;
    this.leaves.splice(index + 1, 0, right);
    this.firsts.splice(index, 0, right.entries[0]);
    if (this.firsts.length > this.firstPrefixes.length) {
      const grown = new Float64Array(this.firstPrefixes.length * 2);
      grown.set(this.firstPrefixes);
      this.firstPrefixes = grown;
    }
    this.firstPrefixes.copyWithin(index + 1, index, this.firsts.length - 1);
    this.firstPrefixes[index] = right.prefixes[0];
  }
  get(key, seqMax) {
    const prefix = keyPrefix(key);
    let leaf = this.leaves[this.leafIndexFor(key, prefix, seqMax)];
    let pos = PrefixChunks.lowerBound(leaf, key, prefix, seqMax);
    if (pos === leaf.entries.length) {
      leaf = leaf.next;
      if (leaf === null) return undefined;
      pos = 0;
    }
    const e = leaf.entries[pos];
    return compareBytes(e.key, key) === 0 ? e : undefined;
  }
  forEach(fn) {
    for (let leaf = this.leaves[0]; leaf !== null; leaf = leaf.next) {
      const entries = leaf.entries;
      for (let i = 0; i < entries.length; i++) fn(entries[i]);
    }
  }
}

// ---------------------------------------------------------------- workload
function memoryNow() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let rngState = 0x9e3779b9;
function randomByte() {
  rngState ^= rngState << 13; rngState ^= rngState >>> 17; rngState ^= rngState << 5;
  return rngState & 0xff;
}
function makeData() {
  const randomKeys = new Array(ENTRY_COUNT).fill(null);
  const sequentialKeys = new Array(ENTRY_COUNT).fill(null);
  const values = new Array(ENTRY_COUNT).fill(null);
  const before = memoryNow();
  // A key and its value are allocated together, as the engine does when it copies a put.
  for (let i = 0; i < ENTRY_COUNT; i++) {
    const k = new Uint8Array(KEY_BYTES);
    for (let j = 0; j < KEY_BYTES; j++) k[j] = randomByte();
    randomKeys[i] = k;
    const v = new Uint8Array(VALUE_BYTES);
    v[0] = i & 0xff;
    values[i] = v;
  }
  const bytes = memoryNow() - before;
  for (let i = 0; i < ENTRY_COUNT; i++) {
    const s = new Uint8Array(KEY_BYTES);
    for (let b = 0, n = i; b < 4; b++, n >>>= 8) s[KEY_BYTES - 1 - b] = n & 0xff;
    sequentialKeys[i] = s;
  }
  const headers = bytes / ENTRY_COUNT - KEY_BYTES - VALUE_BYTES;
  const getOrder = Array.from({ length: ENTRY_COUNT }, (_, i) => i);
  for (let i = getOrder.length - 1; i > 0; i--) {
    const j = (randomByte() | (randomByte() << 8) | (randomByte() << 16)) % (i + 1);
    const t = getOrder[i]; getOrder[i] = getOrder[j]; getOrder[j] = t;
  }
  return { randomKeys, sequentialKeys, values, getOrder, headers };
}

function checkOrder(name, table) {
  let previous = null;
  table.forEach((e) => {
    if (previous !== null && compareBytes(previous, e.key) >= 0) throw new Error(`${name}: order`);
    previous = e.key;
  });
}

function timeNs(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / ENTRY_COUNT;
}

function measure(name, create, data) {
  const { randomKeys, sequentialKeys, values, getOrder } = data;
  const base = memoryNow();
  let table = create();
  const insertRandom = timeNs(() => {
    for (let i = 0; i < ENTRY_COUNT; i++) table.add(randomKeys[i], i + 1, PUT, values[i]);
  });
  const bytesPerEntry = (memoryNow() - base) / ENTRY_COUNT;
  let found = 0;
  const get = timeNs(() => {
    for (let i = 0; i < ENTRY_COUNT; i++) {
      const k = getOrder[i];
      if (table.get(randomKeys[k], Number.MAX_SAFE_INTEGER) !== undefined) found++;
    }
  });
  if (found !== ENTRY_COUNT) throw new Error(`${name}: found ${found}`);
  // The engine copies key and value out of each entry it visits, so the pass touches both.
  let seen = 0;
  let bytes = 0;
  const iterate = timeNs(() => {
    table.forEach((e) => {
      bytes += e.key.length + e.value.length;
      seen++;
    });
  });
  if (seen !== ENTRY_COUNT) throw new Error(`${name}: iterated ${seen}`);
  if (bytes !== ENTRY_COUNT * (KEY_BYTES + VALUE_BYTES)) throw new Error(`${name}: bytes ${bytes}`);
  checkOrder(name, table);
  table = null;
  const sequentialBase = memoryNow();
  table = create();
  const insertSequential = timeNs(() => {
    for (let i = 0; i < ENTRY_COUNT; i++) table.add(sequentialKeys[i], i + 1, PUT, values[i]);
  });
  const sequentialBytesPerEntry = (memoryNow() - sequentialBase) / ENTRY_COUNT;
  table = null;
  return { name, insertRandom, insertSequential, get, iterate, bytesPerEntry, sequentialBytesPerEntry };
}

const candidates = [
  ['skip list, node objects', () => new SkipListObjects()],
  ['skip list, typed arrays + prefixes', () => new SkipListArrays()],
  ['sorted chunks, leaf 128', () => new SortedChunks(128)],
  ['sorted chunks + prefixes, leaf 128', () => new PrefixChunks(128)],
];

const data = makeData();
console.log(`node ${process.version}, ${ENTRY_COUNT} entries, ${KEY_BYTES}-byte keys, ${VALUE_BYTES}-byte values`);
console.log(`typed array overhead per key + value pair, beyond their bytes: ${data.headers.toFixed(0)} B`);
console.log('| structure | insert random ns/op | insert sequential ns/op | get ns/op | iterate ns/entry | heap B/entry (random) | heap B/entry (sequential) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, create] of candidates) {
  const r = measure(name, create, data);
  const f = (x) => x.toFixed(0);
  console.log(`| ${r.name} | ${f(r.insertRandom)} | ${f(r.insertSequential)} | ${f(r.get)} | ${r.iterate.toFixed(1)} | ${f(r.bytesPerEntry)} | ${f(r.sequentialBytesPerEntry)} |`);
}
