import { GENERATORS } from '../../../../examples/generators/index.js';
import { exportGltf } from '../../io/gltf-write.js';
import { hashScene } from '../../scene/hash.js';
import { sceneStats } from '../../scene/stats.js';
import { numberFlag, parse, requirePositional, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const genCommand: Command = {
  name: 'gen',
  summary: 'generate an example scene (cornell, cornell-point, atrium, foliage, hero)',
  usage: 'ote gen <cornell|cornell-point|atrium|foliage|hero> [--scale N] -o out.glb',
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { scale: { type: 'string' }, out: { type: 'string', short: 'o' } });
    const kind = requirePositional(positionals, 0, 'scene kind');
    const make = GENERATORS[kind];
    if (!make)
      throw new UsageError(`unknown scene kind "${kind}"; choose one of ${Object.keys(GENERATORS).join(', ')}`);
    if (!values.out) throw new UsageError('missing -o <out.glb|out.gltf>');
    const scale = numberFlag(values.scale, 'scale', 1, { above: 0 });
    const scene = make(scale);
    await exportGltf(scene, values.out);
    const s = sceneStats(scene);
    ctx.stdout(
      `${values.out}: ${kind} scale ${scale}, ${s.instancedTriangles.toLocaleString('en-US')} triangles drawn (${s.triangles.toLocaleString('en-US')} stored), hash ${hashScene(scene).scene.slice(0, 16)}\n`,
    );
    return 0;
  },
};
