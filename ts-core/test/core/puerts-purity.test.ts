/**
 * The core's engine-facing logic runs inside Puerts' V8, which has no Node builtins and cannot load the N-API addon.
 * - Engine-facing modules (scene, adapters, analyze, plan, report, image, util, errors) must not reach a Node
 *   builtin or the edge folders (io, native, cli, optimize, trust, farm, viewer), even through other modules.
 * - Kernel orchestration (render, bake, splat, metrics) may call native/, but imports no Node builtin itself.
 * This test fails the moment either rule breaks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers.js';

const src = join(repoRoot, 'ts-core', 'src');
const ENGINE_FACING = [
  /^scene\//,
  /^adapters\//,
  /^analyze\//,
  /^plan\//,
  /^report\//,
  /^image\//,
  /^util\//,
  /^errors\.ts$/,
];
const EDGE = [/^io\//, /^native\//, /^cli\//, /^optimize\//, /^trust\//, /^farm\//, /^viewer\//];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Value imports of a module (type-only imports vanish at compile time and are ignored). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
  )) {
    if (m[2]) continue;
    out.push(m[3] ?? m[4]);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const p = resolve(dirname(from), spec).replace(/\.js$/, '.ts');
  return existsSync(p) ? p : undefined;
}

test('no core module outside the edges imports a Node builtin directly', () => {
  const offenders: string[] = [];
  for (const f of files(src)) {
    const rel = relative(src, f);
    if (EDGE.some((r) => r.test(rel))) continue;
    for (const spec of imports(f))
      if (builtins.has(spec) || builtins.has(spec.split('/')[0])) offenders.push(`${rel}: imports ${spec}`);
    const code = readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    if (/\bprocess\.|\bBuffer\.|\brequire\(/.test(code)) offenders.push(`${rel}: uses process, Buffer or require`);
  }
  assert.equal(offenders, []);
});

test('engine-facing modules reach neither Node builtins nor the edges, even transitively', () => {
  const offenders: string[] = [];
  for (const f of files(src)) {
    const rel = relative(src, f);
    if (!ENGINE_FACING.some((r) => r.test(rel))) continue;
    const seen = new Set<string>(),
      stack = [f];
    while (stack.length) {
      const cur = stack.pop()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      for (const spec of imports(cur)) {
        if (builtins.has(spec)) offenders.push(`${rel} → ${relative(src, cur)}: imports ${spec}`);
        const next = resolveLocal(cur, spec);
        if (!next) continue;
        const nrel = relative(src, next);
        if (EDGE.some((r) => r.test(nrel)))
          offenders.push(`${rel} → ${relative(src, cur)}: imports edge module ${nrel}`);
        else stack.push(next);
      }
    }
  }
  assert.equal([...new Set(offenders)], []);
});

test.run();
