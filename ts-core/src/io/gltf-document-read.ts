/**
 * A glTF-Transform Document to the neutral scene, with no file access: pure, so it runs in Puerts' V8 too (the
 * editor plugins read their optimized result with it). It normalises what engines must not see twice: quantized
 * attributes become floats, strips and fans become lists, spec/gloss materials become metal/rough, and every index
 * and position is checked with the glTF path named. gltf-read.ts reads and validates a file, then calls it.
 */
import {
  type Document,
  type Material as GMaterial,
  type Node as GNode,
  type Primitive as GPrimitive,
  type Texture as GTexture,
  type TextureInfo,
  WebIO,
} from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { dequantize, metalRough } from '@gltf-transform/functions';
import { inputError } from '../errors.js';
import {
  createScene,
  defaultMaterial,
  type Camera,
  type InstanceTRS,
  type Light,
  type Material,
  type Primitive,
  type Scene,
  type SceneNode,
  type TextureRef,
} from '../scene/types.js';
import { canonicalTRS } from '../scene/transform.js';
import { MOZLightmap } from './moz-lightmap.js';

export interface ImportResult {
  scene: Scene;
  /** Things dropped or changed on the way in that the user should know about. */
  warnings: string[];
}

/** Exporters round quaternions; gltf-structure.ts rejects those far from unit length, the rest are normalized here. */
function unitQuaternion(q: ArrayLike<number>): number[] {
  const l = Math.hypot(q[0], q[1], q[2], q[3]);
  return Array.from(q, (x) => x / l);
}

const MODE = { POINTS: 0, LINES: 1, LINE_LOOP: 2, LINE_STRIP: 3, TRIANGLES: 4, TRIANGLE_STRIP: 5, TRIANGLE_FAN: 6 };

function floats(a: ArrayLike<number> | null | undefined): Float32Array | undefined {
  if (!a) return undefined;
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

function triangulate(mode: number, idx: Uint32Array): Uint32Array {
  if (mode === MODE.TRIANGLES) return idx;
  const tris: number[] = [];
  for (let i = 2; i < idx.length; i++) {
    if (mode === MODE.TRIANGLE_STRIP) {
      if (i % 2 === 0) tris.push(idx[i - 2], idx[i - 1], idx[i]);
      else tris.push(idx[i - 1], idx[i - 2], idx[i]);
    } else tris.push(idx[0], idx[i - 1], idx[i]);
  }
  return Uint32Array.from(tris);
}

export async function documentToScene(doc: Document, file?: string): Promise<ImportResult> {
  const warnings: string[] = [];
  const root = doc.getRoot();
  if (root.listExtensionsUsed().some((e) => e.extensionName === 'KHR_materials_pbrSpecularGlossiness')) {
    await doc.transform(metalRough());
    warnings.push('KHR_materials_pbrSpecularGlossiness materials were converted to metal/rough');
  }
  if (root.listExtensionsUsed().some((e) => e.extensionName === 'KHR_mesh_quantization'))
    await doc.transform(dequantize());

  const scene = createScene(root.getDefaultScene()?.getName() || root.listScenes()[0]?.getName() || 'scene');
  scene.source = file;

  const textureIndex = new Map<GTexture, number>();
  for (const [i, t] of root.listTextures().entries()) {
    let size: ReturnType<GTexture['getSize']>;
    try {
      size = t.getSize(); // reads the image's header, which may be cut off or garbage
    } catch {
      throw inputError(
        file,
        `images[${i}]`,
        `cannot read the size from the header of its ${t.getImage()?.byteLength ?? 0} bytes of ${t.getMimeType() || 'image'} data`,
      );
    }
    textureIndex.set(t, scene.textures.length);
    scene.textures.push({
      name: t.getName() || t.getURI() || `texture${scene.textures.length}`,
      mimeType: t.getMimeType(),
      image: t.getImage() ?? new Uint8Array(0),
      width: size?.[0] ?? 0,
      height: size?.[1] ?? 0,
    });
  }

  const ref = (tex: GTexture | null, info: TextureInfo | null): TextureRef | undefined => {
    if (!tex || !info) return undefined;
    const r: TextureRef = { texture: textureIndex.get(tex)!, texCoord: info.getTexCoord() };
    const tt = info.getExtension<import('@gltf-transform/extensions').Transform>('KHR_texture_transform');
    if (tt) {
      r.transform = {
        offset: [...tt.getOffset()] as [number, number],
        rotation: tt.getRotation(),
        scale: [...tt.getScale()] as [number, number],
      };
      const tc = tt.getTexCoord();
      if (tc !== null && tc !== undefined) r.transform.texCoord = tc;
    }
    return r;
  };

  const materialIndex = new Map<GMaterial, number>();
  for (const m of root.listMaterials()) {
    const out: Material = defaultMaterial(m.getName() || `material${scene.materials.length}`);
    out.baseColorFactor = [...m.getBaseColorFactor()] as Material['baseColorFactor'];
    out.metallicFactor = m.getMetallicFactor();
    out.roughnessFactor = m.getRoughnessFactor();
    out.emissiveFactor = [...m.getEmissiveFactor()] as Material['emissiveFactor'];
    out.alphaMode = m.getAlphaMode();
    out.alphaCutoff = m.getAlphaCutoff();
    out.doubleSided = m.getDoubleSided();
    const base = ref(m.getBaseColorTexture(), m.getBaseColorTextureInfo());
    if (base) out.baseColorTexture = base;
    const mr = ref(m.getMetallicRoughnessTexture(), m.getMetallicRoughnessTextureInfo());
    if (mr) out.metallicRoughnessTexture = mr;
    const nrm = ref(m.getNormalTexture(), m.getNormalTextureInfo());
    if (nrm) out.normalTexture = { ...nrm, scale: m.getNormalScale() };
    const occ = ref(m.getOcclusionTexture(), m.getOcclusionTextureInfo());
    if (occ) out.occlusionTexture = { ...occ, strength: m.getOcclusionStrength() };
    const em = ref(m.getEmissiveTexture(), m.getEmissiveTextureInfo());
    if (em) out.emissiveTexture = em;
    const strength = m.getExtension<import('@gltf-transform/extensions').EmissiveStrength>(
      'KHR_materials_emissive_strength',
    );
    if (strength) out.emissiveStrength = strength.getEmissiveStrength();
    out.unlit = !!m.getExtension('KHR_materials_unlit');
    const tr = m.getExtension<import('@gltf-transform/extensions').Transmission>('KHR_materials_transmission');
    if (tr) out.transmission = tr.getTransmissionFactor();
    const lm = m.getExtension<import('./moz-lightmap.js').Lightmap>('MOZ_lightmap');
    if (lm?.getTexture()) out.lightmap = { texture: textureIndex.get(lm.getTexture()!)!, intensity: lm.getIntensity() };
    materialIndex.set(m, scene.materials.length);
    scene.materials.push(out);
  }

  root.listMeshes().forEach((mesh, mi) => {
    const prims: Primitive[] = [];
    mesh.listPrimitives().forEach((p: GPrimitive, pi) => {
      const path = `meshes[${mi}].primitives[${pi}]`;
      const mode = p.getMode();
      if (mode < MODE.TRIANGLES) {
        warnings.push(`${path}: mode ${mode} (points or lines) is not a surface and was skipped`);
        return;
      }
      const pos = p.getAttribute('POSITION');
      if (!pos) throw inputError(file, `${path}.attributes.POSITION`, 'missing');
      const positions = floats(pos.getArray())!;
      const vertexCount = pos.getCount();
      for (let i = 0; i < positions.length; i++)
        if (!Number.isFinite(positions[i]))
          throw inputError(
            file,
            `${path}.attributes.POSITION`,
            `vertex ${Math.floor(i / 3)} has a non-finite coordinate (${positions[i]})`,
          );
      const idxAcc = p.getIndices();
      let indices: Uint32Array;
      if (idxAcc) {
        const raw = idxAcc.getArray()!;
        indices = raw instanceof Uint32Array ? raw : Uint32Array.from(raw);
        for (let i = 0; i < indices.length; i++)
          if (indices[i] >= vertexCount)
            throw inputError(
              file,
              `${path}.indices`,
              `index ${indices[i]} at position ${i} is past the vertex count ${vertexCount}`,
            );
      } else {
        indices = new Uint32Array(vertexCount);
        for (let i = 0; i < vertexCount; i++) indices[i] = i;
      }
      indices = triangulate(mode, indices);
      if (indices.length % 3) {
        warnings.push(`${path}: ${indices.length % 3} trailing indices do not make a triangle and were dropped`);
        indices = indices.subarray(0, indices.length - (indices.length % 3));
      }
      const prim: Primitive = {
        positions,
        indices,
        material: p.getMaterial() ? materialIndex.get(p.getMaterial()!)! : -1,
      };
      const attr = (name: string, size: number) => {
        const a = p.getAttribute(name);
        if (!a) return undefined;
        if (a.getCount() !== vertexCount)
          throw inputError(
            file,
            `${path}.attributes.${name}`,
            `has ${a.getCount()} elements but POSITION has ${vertexCount}`,
          );
        if (a.getElementSize() !== size && !(name === 'COLOR_0' && a.getElementSize() === 3))
          throw inputError(
            file,
            `${path}.attributes.${name}`,
            `has ${a.getElementSize()} components, expected ${size}`,
          );
        return floats(a.getArray());
      };
      const normals = attr('NORMAL', 3);
      if (normals) prim.normals = normals;
      const tangents = attr('TANGENT', 4);
      if (tangents) prim.tangents = tangents;
      const uv0 = attr('TEXCOORD_0', 2);
      if (uv0) prim.uv0 = uv0;
      const uv1 = attr('TEXCOORD_1', 2);
      if (uv1) prim.uv1 = uv1;
      const colors = attr('COLOR_0', 4);
      if (colors) {
        const c = p.getAttribute('COLOR_0')!;
        const norm = c.getNormalized() ? (c.getComponentSize() === 1 ? 255 : 65535) : 1;
        if (c.getElementSize() === 4 && norm === 1) prim.colors = colors;
        else {
          const n = c.getElementSize();
          const rgba = new Float32Array(vertexCount * 4);
          for (let v = 0; v < vertexCount; v++) {
            for (let k = 0; k < n; k++) rgba[v * 4 + k] = colors[v * n + k] / norm;
            if (n === 3) rgba[v * 4 + 3] = 1;
          }
          prim.colors = rgba;
        }
      }
      prims.push(prim);
    });
    scene.meshes.push({ name: mesh.getName() || `mesh${mi}`, primitives: prims });
  });
  const meshIndex = new Map(root.listMeshes().map((m, i) => [m, i] as const));

  for (const c of root.listCameras()) {
    const cam: Camera = {
      name: c.getName(),
      type: c.getType(),
      yfov: c.getYFov(),
      znear: c.getZNear(),
      xmag: c.getXMag(),
      ymag: c.getYMag(),
    };
    const ar = c.getAspectRatio();
    if (ar !== null && ar !== undefined) cam.aspectRatio = ar;
    const zf = c.getZFar();
    if (zf !== null && zf !== undefined && Number.isFinite(zf)) cam.zfar = zf;
    scene.cameras.push(cam);
  }
  const cameraIndex = new Map(root.listCameras().map((c, i) => [c, i] as const));

  const dynamicNodes = new Set<GNode>();
  for (const anim of root.listAnimations())
    for (const ch of anim.listChannels()) {
      const t = ch.getTargetNode();
      if (t) dynamicNodes.add(t);
    }

  const nodes = root.listNodes();
  const nodeIndex = new Map(nodes.map((n, i) => [n, i] as const));
  const lightIndex = new Map<unknown, number>();
  nodes.forEach((n, ni) => {
    const out: SceneNode = {
      name: n.getName() || `node${ni}`,
      parent: -1,
      children: n.listChildren().map((c) => nodeIndex.get(c)!),
      translation: canonicalTRS(n.getTranslation(), [0, 0, 0]) as SceneNode['translation'],
      rotation: canonicalTRS(unitQuaternion(n.getRotation()), [0, 0, 0, 1]) as SceneNode['rotation'],
      scale: canonicalTRS(n.getScale(), [1, 1, 1]) as SceneNode['scale'],
    };
    const mesh = n.getMesh();
    if (mesh) out.mesh = meshIndex.get(mesh)!;
    const cam = n.getCamera();
    if (cam) out.camera = cameraIndex.get(cam)!;
    const movable = (n.getExtras() as { ote?: { dynamic?: unknown } } | null)?.ote?.dynamic === true;
    if (n.getSkin() || dynamicNodes.has(n) || movable) out.dynamic = true;
    const light = n.getExtension<import('@gltf-transform/extensions').Light>('KHR_lights_punctual');
    if (light) {
      if (!lightIndex.has(light)) {
        const l: Light = {
          name: light.getName(),
          type: light.getType() as Light['type'],
          color: [...light.getColor()] as Light['color'],
          intensity: light.getIntensity(),
          innerConeAngle: light.getInnerConeAngle(),
          outerConeAngle: light.getOuterConeAngle(),
        };
        const range = light.getRange();
        if (range !== null && range !== undefined) l.range = range;
        const size = (light.getExtras() as { ote?: { size?: unknown } } | null)?.ote?.size; // extras may be any JSON value
        if (typeof size === 'number' && Number.isFinite(size) && size >= 0) l.size = size;
        lightIndex.set(light, scene.lights.length);
        scene.lights.push(l);
      }
      out.light = lightIndex.get(light)!;
    }
    const inst = n.getExtension<import('@gltf-transform/extensions').InstancedMesh>('EXT_mesh_gpu_instancing');
    if (inst) out.instances = readInstances(inst, file, `nodes[${ni}].extensions.EXT_mesh_gpu_instancing`);
    scene.nodes.push(out);
  });
  scene.nodes.forEach((n, i) =>
    n.children.forEach((c) => {
      scene.nodes[c].parent = i;
    }),
  );
  const gscene = root.getDefaultScene() ?? root.listScenes()[0];
  scene.roots = gscene
    ? gscene.listChildren().map((n) => nodeIndex.get(n)!)
    : scene.nodes.flatMap((n, i) => (n.parent < 0 ? [i] : []));
  return { scene, warnings };
}

function readInstances(
  inst: import('@gltf-transform/extensions').InstancedMesh,
  file: string | undefined,
  path: string,
): InstanceTRS {
  const t = inst.getAttribute('TRANSLATION'),
    r = inst.getAttribute('ROTATION'),
    s = inst.getAttribute('SCALE');
  const count = (t ?? r ?? s)?.getCount() ?? 0;
  for (const [name, a, size] of [
    ['TRANSLATION', t, 3],
    ['ROTATION', r, 4],
    ['SCALE', s, 3],
  ] as const) {
    if (a && a.getCount() !== count)
      throw inputError(file, `${path}.attributes.${name}`, `has ${a.getCount()} elements, expected ${count}`);
    if (a && a.getElementSize() !== size)
      throw inputError(file, `${path}.attributes.${name}`, `has ${a.getElementSize()} components, expected ${size}`);
  }
  const read = (a: typeof t, size: number, fill: number[]) => {
    const out = new Float32Array(count * size);
    if (!a) {
      for (let i = 0; i < count; i++) out.set(fill, i * size);
      return out;
    }
    const el: number[] = [];
    for (let i = 0; i < count; i++) out.set(a.getElement(i, el), i * size); // getElement applies normalization
    return out;
  };
  const trs = { translation: read(t, 3, [0, 0, 0]), rotation: read(r, 4, [0, 0, 0, 1]), scale: read(s, 3, [1, 1, 1]) };
  for (const [k, arr] of Object.entries(trs))
    for (let i = 0; i < arr.length; i++)
      if (!Number.isFinite(arr[i]))
        throw inputError(
          file,
          `${path}.attributes.${k.toUpperCase()}`,
          `instance ${Math.floor(i / (k === 'rotation' ? 4 : 3))} is not finite`,
        );
  return trs;
}

/** A GLB's bytes to the neutral scene, with no file access (the editor plugins read their run's scene.glb so). */
export async function glbToScene(bytes: Uint8Array, file: string): Promise<ImportResult> {
  const io = new WebIO().registerExtensions([...ALL_EXTENSIONS, MOZLightmap]);
  let doc: Document;
  try {
    doc = await io.readBinary(bytes);
  } catch (e) {
    throw inputError(file, undefined, `glTF decode failed: ${(e as Error).message}`);
  }
  return documentToScene(doc, file);
}
