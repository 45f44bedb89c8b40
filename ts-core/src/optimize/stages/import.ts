/**
 * Import: reads and checks the file, resolves the light it is judged under (the profile's sky and sun where the
 * scene brings no light, plan/environment.ts), guesses its units and hashes it for the result cache.
 */
import { gltfSceneBytes } from '../../io/gltf-size.js';
import { readFile } from 'node:fs/promises';
import { guessSceneUnits } from '../../analyze/units.js';
import { OteError } from '../../errors.js';
import { importGltf } from '../../io/gltf-read.js';
import { environmentSettings } from '../../plan/profile.js';
import { resolveEnvironment, withEnvironmentSun } from '../../plan/environment.js';
import { hashScene } from '../../scene/hash.js';
import { SCRIPT_DEVICE } from '../devices.js';
import { defineStage } from '../stage.js';

export const importStage = defineStage({
  name: 'import',
  needs: [],
  produces: ['inputBytes', 'inputSize', 'scene', 'warnings', 'environment', 'lit', 'units', 'sceneHash'],
  device: () => SCRIPT_DEVICE,
  async run(_, ctx) {
    const o = ctx.options;
    const inputBytes = new Uint8Array(
      await readFile(o.input).catch((e) => {
        throw new OteError('BAD_INPUT', (e as Error).message, { file: o.input });
      }),
    );
    const { scene, warnings } = await importGltf(o.input);
    // Scenes that bring no light are baked and judged under the profile's sky and sun (plan/environment.ts).
    const environment = resolveEnvironment(scene, environmentSettings(o.profile));
    // Scenes authored in centimetres or millimetres bake at the wrong density and soften their shadows: say so.
    const units = guessSceneUnits(scene);
    if (units.warning) {
      warnings.push(units.warning);
      ctx.log(units.warning);
    }
    if (environment)
      ctx.log(
        environment.reason === 'default'
          ? "the scene has no lights and no emissive surfaces: baking under the profile's default sky and sun"
          : "the profile adds its sky and sun to the scene's own lights",
      );
    return {
      inputBytes,
      inputSize: await gltfSceneBytes(o.input, inputBytes),
      scene,
      warnings,
      environment,
      lit: withEnvironmentSun(scene, environment),
      units,
      sceneHash: hashScene(scene).scene,
    };
  },
});
