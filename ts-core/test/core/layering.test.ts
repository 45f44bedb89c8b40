/**
 * Data flows one way through ts-core/src, and this test holds the code to it (issue #17, part 5).
 *
 * The rule: every top-level folder has a layer (LAYERS below). A module may import modules of its own folder and
 * of folders in LOWER layers, never of a higher layer nor of another folder in the same layer (siblings stay
 * independent). Type-only and dynamic imports count: a type is a dependency of the design even when it vanishes
 * at run time. No two files may import each other, directly or through others. Imports that break the rule today
 * and need moves in folders others own are listed in ALLOWED with the issue that removes them; an entry that no
 * longer occurs fails the test, so the list only shrinks.
 *
 * The layers follow how data moves when a scene is optimized: the base types (errors, util, image) and the neutral
 * scene; the edges that read and write it (io: files, adapters: game engines) and its analysis; the plan; the
 * kernels (native binding, then metrics, then bake and render, then splat training, which renders its targets);
 * verification (trust); the report; and the drivers (optimize, then the CLI).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers.js';

const src = join(repoRoot, 'ts-core', 'src');

/** Layer of each top-level folder (or root file) of ts-core/src; lower layers know nothing of higher ones. */
const LAYERS: Record<string, number> = {
  'errors.ts': 0,
  util: 1,
  image: 1,
  'exit-codes.ts': 1, // base: values, checks, images, the CLI's exit codes (error codes map onto them)
  scene: 2, // the neutral scene every layer speaks
  io: 3,
  adapters: 3,
  analyze: 3, // edges (glTF/PNG/EXR/splat files; engine scenes) and analysis of the scene
  plan: 4, // profile, router, environment
  economy: 4, // when and where work runs: prices, carbon, the scheduler
  native: 5, // kernels: the addon's typed bindings,
  metrics: 6, //          image metrics on them,
  bake: 7,
  render: 7, //   the lightmap baker and the renderers,
  splat: 8, //            splat conversion and training (trained against rendered views)
  trust: 9, // verification
  report: 10,
  optimize: 11, // drivers: one optimize run,
  farm: 12, //              many of them on a queue of workers,
  viewer: 12, //            the result served to a browser (`ote view`),
  cli: 13, //               and the command line
};

/**
 * Imports that break the rule today, each `from → to` (paths under ts-core/src). All are in folders other sessions
 * own; each TODO names the move (issue #17) that removes it.
 */
const ALLOWED: Record<string, string> = {};

/** Only native/ loads the addon; everything else calls its typed wrappers (native/*.ts). */
const ADDON_LOADER = 'native/addon.ts';
const ALLOWED_ADDON_LOADS: Record<string, string> = {};

/** bench/ measures the product; it must not depend on test code (test helpers are not a product API). */
const ALLOWED_BENCH_TEST_IMPORTS: Record<string, string> = {};

// ---------- reading imports ----------

interface Import {
  to: string;
  typeOnly: boolean;
  names: string;
}

/** Every import of a source text: static (`import … from`, `export … from`, side-effect `import '…'`) and dynamic. */
function parseImports(text: string): Import[] {
  // Comment lines can mention import(…) in prose; no import statement starts on one.
  const code = text
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join('\n');
  const out: Import[] = [];
  for (const m of code.matchAll(
    /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm,
  )) {
    if (m[3] !== undefined) out.push({ to: m[3], typeOnly: !!m[1], names: m[2] });
    else out.push({ to: (m[4] ?? m[5])!, typeOnly: false, names: '' });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** A relative import resolved to a repository path ('ts-core/src/scene/types.ts'); undefined for packages. */
function resolveImport(fromRepoPath: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const abs = resolve(dirname(join(repoRoot, fromRepoPath)), spec);
  const ts = abs.replace(/\.js$/, '.ts');
  const path = existsSync(ts)
    ? ts
    : existsSync(abs)
      ? abs
      : existsSync(join(abs, 'index.ts'))
        ? join(abs, 'index.ts')
        : ts;
  return relative(repoRoot, path);
}

/** Import edges between repository files, from the files under `roots`. */
function importGraph(roots: string[]): Map<string, Import[]> {
  const g = new Map<string, Import[]>();
  for (const root of roots)
    for (const f of sourceFiles(join(repoRoot, root))) {
      const from = relative(repoRoot, f);
      g.set(
        from,
        parseImports(readFileSync(f, 'utf8')).flatMap((i) => {
          const to = resolveImport(from, i.to);
          return to ? [{ ...i, to }] : [];
        }),
      );
    }
  return g;
}

// ---------- the rules, as functions of a graph (the self-checks feed them synthetic ones) ----------

const top = (srcPath: string) => (srcPath.includes('/') ? srcPath.split('/')[0] : srcPath);

/** Imports between folders of `srcRoot` that do not go down LAYERS, as 'from → to' (paths under srcRoot). */
function layerViolations(g: Map<string, Import[]>, srcRoot: string, layers: Record<string, number>): string[] {
  const out: string[] = [];
  const under = (p: string) => (p.startsWith(`${srcRoot}/`) ? p.slice(srcRoot.length + 1) : undefined);
  for (const [fromPath, imports] of g) {
    const from = under(fromPath);
    if (from === undefined) continue;
    for (const i of imports) {
      const to = under(i.to);
      if (to === undefined) {
        // Leaving the source tree is fine (examples/), except into tests or benchmarks.
        if (/^(ts-core\/test|bench)\//.test(i.to)) out.push(`${from} → ${i.to}`);
        continue;
      }
      const a = top(from),
        b = top(to);
      if (a === b) continue;
      if (layers[a] === undefined || layers[b] === undefined || layers[b] >= layers[a]) out.push(`${from} → ${to}`);
    }
  }
  return [...new Set(out)].sort();
}

/** Value imports of `loader` from outside its own folder. */
function loaderImports(g: Map<string, Import[]>, srcRoot: string, loader: string, name: string): string[] {
  const out: string[] = [];
  for (const [fromPath, imports] of g) {
    const from = fromPath.slice(srcRoot.length + 1);
    if (!fromPath.startsWith(`${srcRoot}/`) || top(from) === top(loader)) continue;
    if (
      imports.some(
        (i) =>
          i.to === `${srcRoot}/${loader}` &&
          !i.typeOnly &&
          new RegExp(`\\b${name}\\b`).test(i.names.replace(/\btype\s+\w+/g, '')),
      )
    )
      out.push(from);
  }
  return out.sort();
}

/** Groups of files that import each other (strongly connected components of more than one file, or a self-import). */
function importCycles(g: Map<string, Import[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to: w } of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (g.get(v) ?? []).some((i) => i.to === v)) cycles.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

// ---------- the checks ----------

const SRC = 'ts-core/src';
const graph = importGraph([SRC]);

/** Violations not excused, and excuses for violations that no longer occur. */
function judged(found: string[], allowed: Record<string, string>) {
  return {
    unexcused: found.filter((v) => !(v in allowed)),
    stale: Object.keys(allowed).filter((k) => !found.includes(k)),
  };
}

test('every top-level folder of ts-core/src has a layer', () => {
  const unplaced = readdirSync(src).filter(
    (e) => (statSync(join(src, e)).isDirectory() || e.endsWith('.ts')) && LAYERS[e] === undefined,
  );
  assert.equal(unplaced, [], `give these a layer in LAYERS: ${unplaced.join(', ')}`);
});

test('no import cycles between modules of ts-core/src', () => {
  const cycles = importCycles(graph);
  assert.equal(
    cycles.map((c) => c.join(' ⇄ ')),
    [],
  );
});

test('no import reaches up the layers (except the listed exceptions, which must still exist)', () => {
  const { unexcused, stale } = judged(layerViolations(graph, SRC, LAYERS), ALLOWED);
  assert.equal(unexcused, [], 'imports against the flow: move the code, or import the other way');
  assert.equal(stale, [], 'fixed, so delete from ALLOWED');
});

test('only native/ loads the addon', () => {
  const { unexcused, stale } = judged(loaderImports(graph, SRC, ADDON_LOADER, 'addon'), ALLOWED_ADDON_LOADS);
  assert.equal(unexcused, [], 'call a typed wrapper in native/ instead of addon()');
  assert.equal(stale, [], 'fixed, so delete from ALLOWED_ADDON_LOADS');
});

test('bench/ does not import test code', () => {
  const found: string[] = [];
  for (const [from, imports] of importGraph(['bench']))
    for (const i of imports) if (i.to.startsWith('ts-core/test/')) found.push(`${from} → ${i.to}`);
  const { unexcused, stale } = judged([...new Set(found)].sort(), ALLOWED_BENCH_TEST_IMPORTS);
  assert.equal(unexcused, [], 'move what bench needs out of ts-core/test');
  assert.equal(stale, [], 'fixed, so delete from ALLOWED_BENCH_TEST_IMPORTS');
});

// ---------- self-checks: the rules catch what they are for, so the checks above cannot pass vacuously ----------

test('self-check: the import reader finds every kind of import', () => {
  const found = parseImports(
    [
      "import type { A } from '../plan/a.js';",
      'import {',
      '  b,',
      "  type C } from './b.js';",
      "export * from './c.js';",
      "import './side-effect.js';",
      "const d = await import('../native/d.js');",
      " * a comment that says import('../nowhere.js')",
    ].join('\n'),
  );
  assert.equal(
    found.map((i) => [i.to, i.typeOnly]),
    [
      ['../plan/a.js', true],
      ['./b.js', false],
      ['./c.js', false],
      ['./side-effect.js', false],
      ['../native/d.js', false],
    ],
  );
  assert.ok(
    found.length >= 5 && graph.size > 100 && [...graph.values()].some((i) => i.length > 0),
    'the real graph was read',
  );
});

test('self-check: a synthetic upward import, sibling import, test import and cycle are caught', () => {
  const edge = (to: string, typeOnly = false): Import => ({ to, typeOnly, names: '{ x }' });
  const g = new Map<string, Import[]>([
    ['s/scene/a.ts', [edge('s/optimize/run.ts', true)]], // up, type-only still counts
    ['s/bake/b.ts', [edge('s/render/c.ts')]], // sibling
    ['s/render/c.ts', [edge('s/scene/a.ts'), edge('ts-core/test/helpers.ts')]], // down (fine), into tests (not)
    ['s/optimize/run.ts', [edge('s/scene/a.ts')]], // down (fine), but closes a cycle with scene/a.ts
  ]);
  assert.equal(layerViolations(g, 's', LAYERS), [
    'bake/b.ts → render/c.ts',
    'render/c.ts → ts-core/test/helpers.ts',
    'scene/a.ts → optimize/run.ts',
  ]);
  assert.equal(importCycles(g), [['s/optimize/run.ts', 's/scene/a.ts']]);
  const loads = new Map<string, Import[]>([
    ['s/render/v.ts', [{ to: 's/native/addon.ts', typeOnly: false, names: '{ addon, type Backend }' }]],
    ['s/render/w.ts', [{ to: 's/native/addon.ts', typeOnly: false, names: '{ type Backend }' }]],
  ]);
  assert.equal(loaderImports(loads, 's', 'native/addon.ts', 'addon'), ['render/v.ts']);
  assert.equal(judged(['a → b'], { 'c → d': 'gone' }), { unexcused: ['a → b'], stale: ['c → d'] });
});

test.run();
