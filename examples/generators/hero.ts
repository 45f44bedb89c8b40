/**
 * A textured hero object: a torus knot with base colour, ORM and normal textures on a plinth. `scale` raises the
 * tessellation: about 8k triangles at 1, and 1M near 11.
 */
import { addMaterial, addMesh, addNode } from '../../ts-core/src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../ts-core/src/scene/types.js';
import { cross, normalize } from '../../ts-core/src/util/vec3.js';
import { MeshBuilder, lookAtRotation } from './shapes.js';
import { pngTexture } from './textures.js';

export interface HeroOptions {
  scale?: number;
}

function knotPoint(t: number, p = 2, q = 3): number[] {
  const r = 0.5 * (2 + Math.cos(q * t));
  return [r * Math.cos(p * t) * 0.35, 0.35 * 0.5 * Math.sin(q * t) + 0.9, r * Math.sin(p * t) * 0.35];
}

function torusKnot(tubular: number, radial: number, material: number): Primitive {
  const b = new MeshBuilder();
  const tube = 0.09;
  for (let i = 0; i <= tubular; i++) {
    const t = (i / tubular) * Math.PI * 2;
    const p = knotPoint(t),
      q = knotPoint(t + 0.01);
    const T = normalize([q[0] - p[0], q[1] - p[1], q[2] - p[2]]);
    const N0 = normalize([q[0] + p[0], q[1] + p[1] - 1.8, q[2] + p[2]]);
    const B = normalize(cross(T, N0)),
      N = cross(B, T);
    for (let j = 0; j <= radial; j++) {
      const v = (j / radial) * Math.PI * 2,
        cx = -tube * Math.cos(v),
        cy = tube * Math.sin(v);
      const n = normalize([N[0] * cx + B[0] * cy, N[1] * cx + B[1] * cy, N[2] * cx + B[2] * cy]);
      b.vertex([p[0] + N[0] * cx + B[0] * cy, p[1] + N[1] * cx + B[1] * cy, p[2] + N[2] * cx + B[2] * cy], n, [
        (i / tubular) * 8,
        j / radial,
      ]);
    }
  }
  for (let i = 0; i < tubular; i++)
    for (let j = 0; j < radial; j++) {
      const a = i * (radial + 1) + j,
        c = (i + 1) * (radial + 1) + j;
      b.triangle(a, c, a + 1);
      b.triangle(c, c + 1, a + 1);
    }
  return b.build(material);
}

export function heroObject(o: HeroOptions = {}): Scene {
  const s = Math.max(0.25, o.scale ?? 1);
  const scene = createScene('hero');
  scene.textures.push(
    pngTexture('hero_basecolor', 256, 256, (x, y) => {
      const check = ((x >> 5) + (y >> 5)) & 1;
      const stripe = 0.5 + 0.5 * Math.sin(x * 0.2) * Math.sin(y * 0.05);
      return check ? [200, 120 + 60 * stripe, 40, 255] : [60, 80, 170 + 60 * stripe, 255];
    }),
  );
  scene.textures.push(
    pngTexture('hero_orm', 128, 128, (x, y) => [255, 60 + ((x ^ y) & 63) * 2, (x >> 6) & 1 ? 255 : 0, 255]),
  );
  scene.textures.push(
    pngTexture('hero_normal', 128, 128, (x, y) => {
      const nx = 0.25 * Math.sin(x * 0.4),
        ny = 0.25 * Math.cos(y * 0.4);
      const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
      return [(nx * 0.5 + 0.5) * 255, (ny * 0.5 + 0.5) * 255, (nz * 0.5 + 0.5) * 255, 255];
    }),
  );
  const mat = addMaterial(scene, {
    ...defaultMaterial('hero'),
    metallicFactor: 1,
    roughnessFactor: 1,
    baseColorTexture: { texture: 0, texCoord: 0 },
    metallicRoughnessTexture: { texture: 1, texCoord: 0 },
    occlusionTexture: { texture: 1, texCoord: 0, strength: 1 },
    normalTexture: { texture: 2, texCoord: 0, scale: 1 },
  });
  const stone = addMaterial(scene, {
    ...defaultMaterial('plinth'),
    baseColorFactor: [0.6, 0.6, 0.62, 1],
    metallicFactor: 0,
    roughnessFactor: 0.5,
  });
  const tubular = Math.max(32, Math.round(256 * s)),
    radial = Math.max(8, Math.round(16 * s));
  addNode(scene, { name: 'knot', mesh: addMesh(scene, 'knot', [torusKnot(tubular, radial, mat)]) });
  const plinth = new MeshBuilder();
  plinth.box([0, 0.2, 0], [0.5, 0.2, 0.5], 2);
  addNode(scene, { name: 'plinth', mesh: addMesh(scene, 'plinth', [plinth.build(stone)]) });
  scene.lights.push({
    name: 'key',
    type: 'spot',
    color: [1, 0.95, 0.9],
    intensity: 40,
    innerConeAngle: 0.3,
    outerConeAngle: 0.6,
    size: 0.1,
  });
  addNode(scene, {
    name: 'key',
    light: 0,
    translation: [1.5, 2.5, 1.5],
    rotation: lookAtRotation([1.5, 2.5, 1.5], [0, 0.8, 0]),
  });
  scene.cameras.push({
    name: 'hero',
    type: 'perspective',
    yfov: 0.7,
    aspectRatio: 1,
    znear: 0.05,
    zfar: 50,
    xmag: 1,
    ymag: 1,
  });
  const eye = [0, 1.3, 2.6];
  addNode(scene, {
    name: 'camera',
    camera: 0,
    translation: eye as [number, number, number],
    rotation: lookAtRotation(eye, [0, 0.8, 0]),
  });
  return scene;
}
