/**
 * The TypeScript and JavaScript tree is formatted and linted by Biome (biome.jsonc at the repository root), and
 * `npm test` (so CI) holds it there: `npm run format` fixes what this test reports (issue #17, part 6).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const biome = join(repoRoot, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

test('biome ci: every file formatted, no lint diagnostics', () => {
  const r = spawnSync(process.execPath, [biome, 'ci', '--colors=off', '--max-diagnostics=20'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.is(r.status, 0, `run \`npm run format\`, then fix what remains:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, /Checked \d+ files/);
});

test.run();
