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
import {
  checkIndex,
  checkLight,
  checkNumber,
  checkUnitQuaternion,
  checkVector,
  valueAt as get,
} from '../util/check-values.js';
import { checkGltfShape } from './gltf-shape.js';

type Json = Record<string, unknown>;

const TEXTURE_SLOTS = [
  'pbrMetallicRoughness.baseColorTexture',
  'pbrMetallicRoughness.metallicRoughnessTexture',
  'normalTexture',
  'occlusionTexture',
  'emissiveTexture',
];

/** The node's path with its name, e.g. `nodes[3] ("Fern_02")`. */
function nodePath(json: GLTF.IGLTF, i: number): string {
  const name = json.nodes?.[i]?.name;
  return name ? `nodes[${i}] (${JSON.stringify(name)})` : `nodes[${i}]`;
}

/** Types first (gltf-shape.ts), so that everything below and in gltf-container.ts may trust them. */
export function checkGltfStructure(file: string, json: GLTF.IGLTF): void {
  checkGltfShape(file, json);
  const len = (key: keyof GLTF.IGLTF) => (Array.isArray(json[key]) ? (json[key] as unknown[]).length : 0);
  const ref = (path: string, value: unknown, key: keyof GLTF.IGLTF) => {
    if (value !== undefined) checkIndex(file, path, value, len(key), key);
  };
  const refs = (path: string, value: unknown, key: keyof GLTF.IGLTF) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw inputError(file, path, `must be an array of indices into ${String(key)}`);
    value.forEach((v, k) => ref(`${path}[${k}]`, v, key));
  };

  ref('scene', json.scene, 'scenes');
  json.scenes?.forEach((s, i) => refs(`scenes[${i}].nodes`, s.nodes, 'nodes'));

  json.meshes?.forEach((m, i) =>
    m.primitives?.forEach((p, j) => {
      const base = `meshes[${i}].primitives[${j}]`;
      for (const [k, a] of Object.entries(p.attributes ?? {})) ref(`${base}.attributes.${k}`, a, 'accessors');
      ref(`${base}.indices`, p.indices, 'accessors');
      ref(`${base}.material`, p.material, 'materials');
      p.targets?.forEach((t, k) => {
        for (const [a, v] of Object.entries(t)) ref(`${base}.targets[${k}].${a}`, v, 'accessors');
      });
      ref(
        `${base}.extensions.KHR_draco_mesh_compression.bufferView`,
        get(p, 'extensions.KHR_draco_mesh_compression.bufferView'),
        'bufferViews',
      );
    }),
  );
  json.accessors?.forEach((a, i) => {
    ref(`accessors[${i}].sparse.indices.bufferView`, a.sparse?.indices.bufferView, 'bufferViews');
    ref(`accessors[${i}].sparse.values.bufferView`, a.sparse?.values.bufferView, 'bufferViews');
  });
  json.bufferViews?.forEach((bv, i) => {
    for (const ext of ['EXT_meshopt_compression', 'KHR_meshopt_compression'])
      ref(`bufferViews[${i}].extensions.${ext}.buffer`, get(bv, `extensions.${ext}.buffer`), 'buffers');
  });

  // A texture that a material uses needs an image: `source`, or one from a texture extension the file uses.
  const hasImage = (t: GLTF.ITexture) =>
    t.source !== undefined ||
    ['EXT_texture_webp', 'KHR_texture_basisu', 'EXT_texture_avif'].some(
      (e) => json.extensionsUsed?.includes(e) && get(t, `extensions.${e}.source`) !== undefined,
    );
  const tex = (path: string, value: unknown) => {
    ref(path, value, 'textures');
    if (value !== undefined && !hasImage(json.textures![value as number]))
      throw inputError(
        file,
        `textures[${value}]`,
        `has no image (no source), but ${path.replace(/\.index$/, '')} uses it`,
      );
  };
  json.materials?.forEach((m, i) => {
    for (const slot of TEXTURE_SLOTS) tex(`materials[${i}].${slot}.index`, get(m, `${slot}.index`));
    // MOZ_lightmap and the KHR_materials_* extensions: every `...Texture` field is a texture info (gltf-shape.ts).
    for (const [name, ext] of Object.entries(m.extensions ?? {}) as [string, Json][]) {
      if (name === 'MOZ_lightmap') tex(`materials[${i}].extensions.MOZ_lightmap.index`, ext.index);
      else
        for (const k of Object.keys(ext))
          if (k.endsWith('Texture')) tex(`materials[${i}].extensions.${name}.${k}.index`, get(ext[k], 'index'));
    }
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
      checkIndex(
        file,
        `animations[${i}].channels[${j}].sampler`,
        c.sampler,
        a.samplers?.length ?? 0,
        `animations[${i}].samplers`,
      );
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
    if (light !== undefined)
      checkIndex(file, `${at}.extensions.KHR_lights_punctual.light`, light, lights, 'KHR_lights_punctual lights');
    const instances = get(node, 'extensions.EXT_mesh_gpu_instancing.attributes') as Json | undefined;
    for (const [k, a] of Object.entries(instances ?? {}))
      ref(`${at}.extensions.EXT_mesh_gpu_instancing.attributes.${k}`, a, 'accessors');
    checkTransform(file, at, node);
    refs(`${at}.children`, node.children, 'nodes');
    for (const c of node.children ?? []) {
      if (c === i) throw inputError(file, `${at}.children`, 'lists the node itself: the hierarchy must be a tree');
      if (parent.has(c))
        throw inputError(
          file,
          `${at}.children`,
          `lists ${nodePath(json, c)}, which is already a child of ${nodePath(json, parent.get(c)!)}: a node has at most one parent`,
        );
      parent.set(c, i);
    }
  });
  // With one parent per node, a cycle is a chain of parents that comes back to itself. Each node is walked once:
  // a chain stops at a node already known to reach a root (state 2); meeting its own nodes (state 1) is a cycle.
  const state = new Uint8Array(len('nodes'));
  for (let i = 0; i < state.length; i++) {
    const chain: number[] = [];
    let p: number | undefined = i;
    for (; p !== undefined && state[p] === 0; p = parent.get(p)) {
      state[p] = 1;
      chain.push(p);
    }
    if (p !== undefined && state[p] === 1)
      throw inputError(file, nodePath(json, p), 'is its own ancestor: the node hierarchy has a cycle');
    for (const c of chain) state[c] = 2;
  }
}

/** TRS or a matrix, not both; the right number of components, each finite as a 32-bit float; a usable rotation. */
function checkTransform(file: string, at: string, node: GLTF.INode): void {
  const vec = (field: 'matrix' | 'translation' | 'rotation' | 'scale', n: number): number[] | undefined => {
    checkVector(file, `${at}.${field}`, node[field], n);
    return node[field] as number[] | undefined;
  };
  const m = vec('matrix', 16);
  const t = vec('translation', 3),
    r = vec('rotation', 4),
    s = vec('scale', 3);
  if (m && (t || r || s))
    throw inputError(
      file,
      `${at}.matrix`,
      'is given together with translation/rotation/scale; glTF allows one or the other',
    );
  if (m && (m[3] !== 0 || m[7] !== 0 || m[11] !== 0 || m[15] !== 1))
    throw inputError(
      file,
      `${at}.matrix`,
      `is not affine (its last row is ${m[3]}, ${m[7]}, ${m[11]}, ${m[15]}; glTF requires 0, 0, 0, 1)`,
    );
  if (r) checkUnitQuaternion(file, `${at}.rotation`, r);
}

function checkValues(file: string, json: GLTF.IGLTF): void {
  const lights = get(json, 'extensions.KHR_lights_punctual.lights');
  if (lights !== undefined && !Array.isArray(lights))
    throw inputError(file, 'extensions.KHR_lights_punctual.lights', 'must be an array');
  // The first node that uses each light, so that its errors can name it.
  const user = new Map<unknown, number>();
  json.nodes?.forEach((n, i) => {
    const l = get(n, 'extensions.KHR_lights_punctual.light');
    if (!user.has(l)) user.set(l, i);
  });
  (lights as Json[] | undefined)?.forEach((l, i) => {
    const at = `extensions.KHR_lights_punctual.lights[${i}]`;
    const who = ` (light ${JSON.stringify(l.name ?? '')}${user.has(i) ? `, on ${nodePath(json, user.get(i)!)}` : ''})`;
    checkLight(
      file,
      at,
      {
        ...l,
        type: l.type,
        innerConeAngle: get(l, 'spot.innerConeAngle'),
        outerConeAngle: get(l, 'spot.outerConeAngle'),
      },
      `${at}.spot`,
      who,
    );
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
      throw inputError(
        file,
        `${at}.type`,
        `${JSON.stringify(c.type)} is not a glTF camera type (perspective, orthographic)`,
      );
    }
  });
  json.materials?.forEach((m, i) => {
    const at = `materials[${i}]${m.name ? ` (${JSON.stringify(m.name)})` : ''}`;
    checkVector(file, `${at}.pbrMetallicRoughness.baseColorFactor`, get(m, 'pbrMetallicRoughness.baseColorFactor'), 4, {
      min: 0,
      max: 1,
    });
    checkNumber(file, `${at}.pbrMetallicRoughness.metallicFactor`, get(m, 'pbrMetallicRoughness.metallicFactor'), {
      min: 0,
      max: 1,
    });
    checkNumber(file, `${at}.pbrMetallicRoughness.roughnessFactor`, get(m, 'pbrMetallicRoughness.roughnessFactor'), {
      min: 0,
      max: 1,
    });
    checkVector(file, `${at}.emissiveFactor`, m.emissiveFactor, 3, { min: 0 });
    checkNumber(
      file,
      `${at}.extensions.KHR_materials_emissive_strength.emissiveStrength`,
      get(m, 'extensions.KHR_materials_emissive_strength.emissiveStrength'),
      { min: 0 },
    );
    checkNumber(file, `${at}.alphaCutoff`, m.alphaCutoff, { min: 0 });
  });
}
