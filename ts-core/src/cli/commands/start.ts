/**
 * `npm start`: the most complete pipeline that exists, on an embedded default scene, with no setup.
 * Today: generate the Cornell box, import it back, measure it natively and print the summary.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cornellBox } from '../../../../examples/generators/cornell.js';
import { exportGltf } from '../../io/gltf-write.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { infoCommand } from './info.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'run the main job on the embedded default scene (what `npm start` runs)',
  usage: 'ote start [-o outdir]',
  async run(argv, ctx) {
    const { values } = parse(argv, { out: { type: 'string', short: 'o' } });
    const outDir = values.out ?? join('out', 'start');
    await mkdir(outDir, { recursive: true });
    const scenePath = join(outDir, 'cornell.glb');
    await exportGltf(cornellBox(), scenePath);
    ctx.stdout(`wrote ${scenePath}\n`);
    return infoCommand.run([scenePath], ctx);
  },
};
