/**
 * The core's engine-facing logic runs inside Puerts' V8, which has no Node builtins. Only the adapters at the edges
 * (io/, native/, cli/, trust servers) may import them. This test fails the moment a core module does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers.js';

const src = join(repoRoot, 'ts-core', 'src');
const EDGE = [/^io\//, /^native\//, /^cli\//, /^optimize\//, /^trust\/(server|node|client|engine|embedded|store|transport)/];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('core modules import no Node builtins and no edge modules', () => {
  const offenders: string[] = [];
  for (const f of files(src)) {
    const rel = relative(src, f);
    if (EDGE.some((r) => r.test(rel))) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (builtins.has(spec) || builtins.has(spec.split('/')[0])) offenders.push(`${rel}: imports ${spec}`);
      if (/^(\.\.\/)+(io|native|cli)\//.test(spec) && !/type\s/.test(m[0].slice(0, 12))) {
        if (!/^import type|^export type/.test(m[0])) offenders.push(`${rel}: imports edge module ${spec}`);
      }
    }
    if (/\bprocess\.|\bBuffer\.|\brequire\(/.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) offenders.push(`${rel}: uses process, Buffer or require`);
  }
  assert.equal(offenders, []);
});

test.run();
