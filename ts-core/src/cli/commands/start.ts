/**
 * `npm start`: the main job on an embedded default with no setup: generate the Cornell box example, then
 * `ote optimize` it under the BALANCED profile with an embedded Trust Engine, and print where the report is.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cornellBox } from '../../../../examples/generators/cornell.js';
import { exportGltf } from '../../io/gltf-write.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { optimizeCommand } from './optimize.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'optimize the embedded example scene with an embedded Trust Engine (what `npm start` runs)',
  usage: 'ote start [-o outdir] [--profile NAME]',
  async run(argv, ctx) {
    const { values } = parse(argv, { out: { type: 'string', short: 'o' }, profile: { type: 'string' } });
    const outDir = values.out ?? join('out', 'start');
    await mkdir('out', { recursive: true });
    const scenePath = join('out', 'cornell.glb');
    await exportGltf(cornellBox(), scenePath);
    ctx.stdout(`example scene: ${scenePath}\n`);
    return optimizeCommand.run([scenePath, '-o', outDir, '--profile', values.profile ?? 'balanced'], ctx);
  },
};
