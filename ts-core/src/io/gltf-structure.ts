/**
 * Structural checks of a glTF's JSON before glTF-Transform reads it: every index that refers into another array
 * exists, node transforms are finite and well formed, the node hierarchy is a set of disjoint trees, and the values
 * that lighting depends on (lights, cameras, material factors) are in their glTF ranges. Without
 * them a bad index surfaces as "Cannot read properties of undefined" from deep inside the reader, and a malformed
 * matrix or a zero quaternion is read as some other transform without a word. Errors name the file, the glTF path
 * and, for nodes, the node's name.
 */
import type { GLTF } from '@gltf-transform/core';
import { inputError } from '../errors.js';
import { checkNumber, checkVector } from '../util/check-values.js';

type Json = Record<string, unknown>;

const TEXTURE_SLOTS = [
  'pbrMetallicRoughness.baseColorTexture', 'pbrMetallicRoughness.metallicRoughnessTexture', 'normalTexture', 'occlusionTexture', 'emissiveTexture',
];

/** The node's path with its name, e.g. `nodes[3] ("Fern_02")`. */
function nodePath(json: GLTF.IGLTF, i: number): string {
  const name = json.nodes?.[i]?.name;
  return name ? `nodes[${i}] (${JSON.stringify(name)})` : `nodes[${i}]`;
}

function get(o: unknown, dotted: string): unknown {
  let v: unknown = o;
  for (const k of dotted.split('.')) v = v && typeof v === 'object' ? (v as Json)[k] : undefined;
  return v;
}

export function checkGltfStructure(file: string, json: GLTF.IGLTF): void {
  const len = (key: keyof GLTF.IGLTF) => (Array.isArray(json[key]) ? (json[key] as unknown[]).length : 0);
  const ref = (path: string, value: unknown, key: keyof GLTF.IGLTF) => {
    if (value === undefined) return;
    const n = len(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= n)
      throw inputError(file, path, `refers to ${String(key)}[${JSON.stringify(value)}], which does not exist (there are ${n})`);
  };
  const refs = (path: string, value: unknown, key: keyof GLTF.IGLTF) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw inputError(file, path, `must be an array of indices into ${String(key)}`);
    value.forEach((v, k) => ref(`${path}[${k}]`, v, key));
  };

  ref('scene', json.scene, 'scenes');
  json.scenes?.forEach((s, i) => refs(`scenes[${i}].nodes`, s.nodes, 'nodes'));

  json.meshes?.forEach((m, i) => m.primitives?.forEach((p, j) => {
    const base = `meshes[${i}].primitives[${j}]`;
    for (const [k, a] of Object.entries(p.attributes ?? {})) ref(`${base}.attributes.${k}`, a, 'accessors');
    ref(`${base}.indices`, p.indices, 'accessors');
    ref(`${base}.material`, p.material, 'materials');
    p.targets?.forEach((t, k) => { for (const [a, v] of Object.entries(t)) ref(`${base}.targets[${k}].${a}`, v, 'accessors'); });
  }));

  json.materials?.forEach((m, i) => {
    for (const slot of TEXTURE_SLOTS) ref(`materials[${i}].${slot}.index`, get(m, `${slot}.index`), 'textures');
    ref(`materials[${i}].extensions.MOZ_lightmap.index`, get(m, 'extensions.MOZ_lightmap.index'), 'textures');
  });
  json.textures?.forEach((t, i) => {
    ref(`textures[${i}].source`, t.source, 'images');
    ref(`textures[${i}].sampler`, t.sampler, 'samplers');
    for (const ext of ['EXT_texture_webp', 'KHR_texture_basisu', 'EXT_texture_avif'])
      ref(`textures[${i}].extensions.${ext}.source`, get(t, `extensions.${ext}.source`), 'images');
  });
  json.skins?.forEach((s, i) => {
    refs(`skins[${i}].joints`, s.joints, 'nodes');
    ref(`skins[${i}].skeleton`, s.skeleton, 'nodes');
    ref(`skins[${i}].inverseBindMatrices`, s.inverseBindMatrices, 'accessors');
  });
  json.animations?.forEach((a, i) => {
    a.samplers?.forEach((s, j) => {
      ref(`animations[${i}].samplers[${j}].input`, s.input, 'accessors');
      ref(`animations[${i}].samplers[${j}].output`, s.output, 'accessors');
    });
    a.channels?.forEach((c, j) => {
      const n = a.samplers?.length ?? 0;
      if (!Number.isInteger(c.sampler) || c.sampler < 0 || c.sampler >= n)
        throw inputError(file, `animations[${i}].channels[${j}].sampler`, `refers to samplers[${JSON.stringify(c.sampler)}] of this animation, which does not exist (there are ${n})`);
      ref(`animations[${i}].channels[${j}].target.node`, c.target?.node, 'nodes');
    });
  });

  checkValues(file, json);
  const lights = (get(json, 'extensions.KHR_lights_punctual.lights') as unknown[] | undefined)?.length ?? 0;
  const parent = new Map<number, number>();
  json.nodes?.forEach((node, i) => {
    const at = nodePath(json, i);
    ref(`${at}.mesh`, node.mesh, 'meshes');
    ref(`${at}.camera`, node.camera, 'cameras');
    ref(`${at}.skin`, node.skin, 'skins');
    const light = get(node, 'extensions.KHR_lights_punctual.light');
    if (light !== undefined && (!Number.isInteger(light) || (light as number) < 0 || (light as number) >= lights))
      throw inputError(file, `${at}.extensions.KHR_lights_punctual.light`, `refers to KHR_lights_punctual lights[${JSON.stringify(light)}], which does not exist (there are ${lights})`);
    checkTransform(file, at, node);
    refs(`${at}.children`, node.children, 'nodes');
    for (const c of node.children ?? []) {
      if (c === i) throw inputError(file, `${at}.children`, 'lists the node itself: the hierarchy must be a tree');
      if (parent.has(c)) throw inputError(file, `${at}.children`, `lists ${nodePath(json, c)}, which is already a child of ${nodePath(json, parent.get(c)!)}: a node has at most one parent`);
      parent.set(c, i);
    }
  });
  // With one parent per node, a cycle is a chain of parents that comes back to where it started.
  for (let i = 0; i < len('nodes'); i++) {
    const seen = new Set<number>([i]);
    for (let p = parent.get(i); p !== undefined; p = parent.get(p)) {
      if (seen.has(p)) throw inputError(file, `${nodePath(json, i)}`, 'is its own ancestor: the node hierarchy has a cycle');
      seen.add(p);
    }
  }
}

/** TRS or a matrix, not both; the right number of components, each finite as a 32-bit float; a usable rotation. */
function checkTransform(file: string, at: string, node: GLTF.INode): void {
  const vec = (field: 'matrix' | 'translation' | 'rotation' | 'scale', n: number): number[] | undefined => {
    const v = node[field] as unknown;
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length !== n)
      throw inputError(file, `${at}.${field}`, `must be an array of ${n} numbers, got ${Array.isArray(v) ? `${v.length}` : typeof v}`);
    v.forEach((x, k) => {
      if (typeof x !== 'number' || !Number.isFinite(Math.fround(x)))
        throw inputError(file, `${at}.${field}[${k}]`, `${JSON.stringify(x)} is not a finite number${typeof x === 'number' ? ' in 32-bit float' : ''}`);
    });
    return v as number[];
  };
  const m = vec('matrix', 16);
  const t = vec('translation', 3), r = vec('rotation', 4), s = vec('scale', 3);
  if (m && (t || r || s)) throw inputError(file, `${at}.matrix`, 'is given together with translation/rotation/scale; glTF allows one or the other');
  if (m && (m[3] !== 0 || m[7] !== 0 || m[11] !== 0 || m[15] !== 1))
    throw inputError(file, `${at}.matrix`, `is not affine (its last row is ${m[3]}, ${m[7]}, ${m[11]}, ${m[15]}; glTF requires 0, 0, 0, 1)`);
  if (r) {
    const l = Math.hypot(r[0], r[1], r[2], r[3]);
    // Exporters round quaternions; far from unit length it is not a rotation at all (the importer normalizes it).
    if (Math.abs(l - 1) > 0.01) throw inputError(file, `${at}.rotation`, `[${r.join(', ')}] is not a unit quaternion (length ${l.toPrecision(4)})`);
  }
}

function checkValues(file: string, json: GLTF.IGLTF): void {
  const lights = get(json, 'extensions.KHR_lights_punctual.lights');
  if (lights !== undefined && !Array.isArray(lights)) throw inputError(file, 'extensions.KHR_lights_punctual.lights', 'must be an array');
  (lights as Json[] | undefined)?.forEach((l, i) => {
    const user = json.nodes?.findIndex((n) => get(n, 'extensions.KHR_lights_punctual.light') === i) ?? -1;
    const at = `extensions.KHR_lights_punctual.lights[${i}]`;
    const who = ` (light ${JSON.stringify(l.name ?? '')}${user >= 0 ? `, on ${nodePath(json, user)}` : ''})`;
    if (!['directional', 'point', 'spot'].includes(l.type as string))
      throw inputError(file, `${at}.type`, `${JSON.stringify(l.type)} is not a KHR_lights_punctual type (directional, point, spot)${who}`);
    checkVector(file, `${at}.color`, l.color, 3, { min: 0 }, who);
    checkNumber(file, `${at}.intensity`, l.intensity, { min: 0 }, who);
    checkNumber(file, `${at}.range`, l.range, { above: 0 }, who);
    if (l.type === 'spot') {
      const inner = (get(l, 'spot.innerConeAngle') as number | undefined) ?? 0, outer = (get(l, 'spot.outerConeAngle') as number | undefined) ?? Math.PI / 4;
      checkNumber(file, `${at}.spot.innerConeAngle`, inner, { min: 0 }, who);
      checkNumber(file, `${at}.spot.outerConeAngle`, outer, { max: Math.PI / 2 }, who);
      if (!(inner < outer)) throw inputError(file, `${at}.spot`, `innerConeAngle ${inner} must be less than outerConeAngle ${outer}${who}`);
    }
  });
  json.cameras?.forEach((c, i) => {
    const at = `cameras[${i}]${c.name ? ` (${JSON.stringify(c.name)})` : ''}`;
    if (c.type === 'perspective') {
      const p = c.perspective as Json | undefined;
      if (!p) throw inputError(file, `${at}.perspective`, 'missing for a perspective camera');
      checkNumber(file, `${at}.perspective.yfov`, p.yfov, { above: 0, max: Math.PI });
      checkNumber(file, `${at}.perspective.znear`, p.znear, { above: 0 });
      checkNumber(file, `${at}.perspective.aspectRatio`, p.aspectRatio, { above: 0 });
      checkNumber(file, `${at}.perspective.zfar`, p.zfar, { above: (p.znear as number) ?? 0 });
    } else if (c.type === 'orthographic') {
      const o = c.orthographic as Json | undefined;
      if (!o) throw inputError(file, `${at}.orthographic`, 'missing for an orthographic camera');
      for (const k of ['xmag', 'ymag']) {
        checkNumber(file, `${at}.orthographic.${k}`, o[k]);
        if (o[k] === 0) throw inputError(file, `${at}.orthographic.${k}`, 'must not be zero');
      }
      checkNumber(file, `${at}.orthographic.znear`, o.znear, { min: 0 });
      checkNumber(file, `${at}.orthographic.zfar`, o.zfar, { above: (o.znear as number) ?? 0 });
    } else {
      throw inputError(file, `${at}.type`, `${JSON.stringify(c.type)} is not a glTF camera type (perspective, orthographic)`);
    }
  });
  json.materials?.forEach((m, i) => {
    const at = `materials[${i}]${m.name ? ` (${JSON.stringify(m.name)})` : ''}`;
    checkVector(file, `${at}.pbrMetallicRoughness.baseColorFactor`, get(m, 'pbrMetallicRoughness.baseColorFactor'), 4, { min: 0, max: 1 });
    checkNumber(file, `${at}.pbrMetallicRoughness.metallicFactor`, get(m, 'pbrMetallicRoughness.metallicFactor'), { min: 0, max: 1 });
    checkNumber(file, `${at}.pbrMetallicRoughness.roughnessFactor`, get(m, 'pbrMetallicRoughness.roughnessFactor'), { min: 0, max: 1 });
    checkVector(file, `${at}.emissiveFactor`, m.emissiveFactor, 3, { min: 0 });
    checkNumber(file, `${at}.extensions.KHR_materials_emissive_strength.emissiveStrength`, get(m, 'extensions.KHR_materials_emissive_strength.emissiveStrength'), { min: 0 });
    checkNumber(file, `${at}.alphaCutoff`, m.alphaCutoff, { min: 0 });
  });
}
