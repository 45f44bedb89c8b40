/** The example scene generators behind `ote gen`. Deterministic: the same options give the same scene hash. */
import type { Scene } from '../../ts-core/src/scene/types.js';
import { atrium } from './atrium.js';
import { cornellBox } from './cornell.js';
import { foliageField } from './foliage.js';
import { heroObject } from './hero.js';

export { atrium, cornellBox, foliageField, heroObject };

export const GENERATORS: Record<string, (scale: number) => Scene> = {
  cornell: (scale) => cornellBox({ scale }),
  'cornell-point': (scale) => cornellBox({ scale, variant: 'point' }),
  atrium: (scale) => atrium({ scale }),
  foliage: (scale) => foliageField({ scale }),
  hero: (scale) => heroObject({ scale }),
};
