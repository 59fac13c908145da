// Checks the workspace's dependency graph: every @kv import is declared in package.json,
// each tsconfig references exactly its @kv dependencies, nothing imports another package's
// internals, dependencies only point the allowed way, and there are no cycles.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Which @kv packages each package may depend on (the layering in the root README).
const ALLOWED = {
  '@kv/base': [],
  '@kv/vfs': ['@kv/base'],
  '@kv/wal': ['@kv/base', '@kv/vfs'],
  '@kv/memtable': ['@kv/base'],
  '@kv/sstable': ['@kv/base', '@kv/vfs'],
  '@kv/manifest': ['@kv/base', '@kv/vfs', '@kv/wal'],
  '@kv/compaction': ['@kv/base', '@kv/vfs', '@kv/sstable', '@kv/manifest'],
  '@kv/db': ['@kv/base', '@kv/vfs', '@kv/wal', '@kv/memtable', '@kv/sstable', '@kv/manifest', '@kv/compaction'],
  '@kv/level': ['@kv/db'],
};
const APP_DEPS = ['@kv/db', '@kv/compaction', '@kv/base', '@kv/vfs', '@kv/wal', '@kv/sstable', '@kv/manifest', '@kv/memtable'];

const problems = [];
const packages = new Map();
for (const group of ['packages', 'apps', 'tools']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    packages.set(manifest.name, { dir, manifest, group });
  }
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'fixtures' ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry) ? [path] : [];
  });
}

for (const [name, { dir, manifest, group }] of packages) {
  const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) => d.startsWith('@kv/'));
  const allowed = ALLOWED[name] ?? (group === 'packages' ? [] : APP_DEPS);
  for (const dep of declared) if (!allowed.includes(dep)) problems.push(`${name} depends on ${dep}, which the layering does not allow`);
  for (const file of [...sourceFiles(join(dir, 'src')), ...sourceFiles(join(dir, 'test'))]) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from\s+'(@kv\/[a-z-]+)(\/[^']*)?'/g)) {
      if (match[2] !== undefined) problems.push(`${file} imports ${match[1]}${match[2]}: import packages by name only`);
      if (match[1] !== name && !declared.includes(match[1])) problems.push(`${file} imports ${match[1]}, not declared in ${dir}/package.json`);
    }
  }
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  const referenced = (tsconfig.references ?? []).map((r) => [...packages.values()].find((p) => join(dir, r.path) === p.dir)?.manifest.name);
  const runtime = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@kv/'));
  if ([...referenced].sort().join() !== [...runtime].sort().join()) {
    problems.push(`${dir}/tsconfig.json references [${referenced}] but package.json depends on [${runtime}]`);
  }
}

// Cycle check by depth-first search over declared dependencies.
const state = new Map();
function visit(name, path) {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') return problems.push(`dependency cycle: ${[...path, name].join(' -> ')}`);
  state.set(name, 'active');
  const deps = Object.keys(packages.get(name)?.manifest.dependencies ?? {}).filter((d) => packages.has(d));
  for (const dep of deps) visit(dep, [...path, name]);
  state.set(name, 'done');
}
for (const name of packages.keys()) visit(name, []);

if (problems.length > 0) {
  console.error(`package graph: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package graph: ${packages.size} packages, dependencies point downward, no cycles`);
