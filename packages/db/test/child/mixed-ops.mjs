// The operation stream of the mixed crash test, shared by the writing child and the checker:
// operation i is a pure function of (seed, i), so the checker regenerates exactly what the
// child wrote. Keys are `key:000` .. `key:299`, so puts, deletes and range deletions collide.
export const KEY_COUNT = 300;

export const keyOf = (n) => `key:${String(n).padStart(3, '0')}`;

/** A small deterministic generator (mulberry32) for operation i of `seed`. */
function randomFor(seed, i) {
  let state = (seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Operation i: a batch for `db.write` (one to three ops: put, del or delRange). */
export function opsAt(seed, i) {
  const random = randomFor(seed, i);
  const count = 1 + Math.floor(random() * 3);
  const ops = [];
  for (let j = 0; j < count; j++) {
    const roll = random();
    const k = Math.floor(random() * KEY_COUNT);
    if (roll < 0.7) ops.push({ type: 'put', key: keyOf(k), value: `v${i}.${j}:${'x'.repeat(Math.floor(random() * 300))}` });
    else if (roll < 0.93) ops.push({ type: 'del', key: keyOf(k) });
    else ops.push({ type: 'delRange', start: keyOf(k), end: keyOf(Math.min(KEY_COUNT, k + 1 + Math.floor(random() * 20))) });
  }
  return ops;
}

/** Applies a batch to a Map model (key -> value). */
export function applyOps(model, ops) {
  for (const op of ops) {
    if (op.type === 'put') model.set(op.key, op.value);
    else if (op.type === 'del') model.delete(op.key);
    else for (const key of [...model.keys()]) if (key >= op.start && key < op.end) model.delete(key);
  }
}
