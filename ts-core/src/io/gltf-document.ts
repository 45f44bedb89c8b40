/**
 * The neutral scene as a glTF-Transform Document. No Node builtins: the editor plugins (Puerts' V8) encode GLBs
 * with this and WebIO; gltf-write.ts adds the file writing for Node.
 */
import { Document, type Material as GMaterial, type Texture as GTexture, type TextureInfo } from '@gltf-transform/core';
import {
  EXTMeshGPUInstancing,
  KHRLightsPunctual,
  KHRMaterialsEmissiveStrength,
  KHRMaterialsTransmission,
  KHRMaterialsUnlit,
  KHRTextureTransform,
} from '@gltf-transform/extensions';
import type { Scene, TextureRef } from '../scene/types.js';
import { MOZLightmap } from './moz-lightmap.js';

export function sceneToDocument(scene: Scene): Document {
  const doc = new Document();
  const root = doc.getRoot();
  const buffer = doc.createBuffer();
  const ext = {
    lights: scene.lights.length ? doc.createExtension(KHRLightsPunctual) : null,
    strength: scene.materials.some((m) => m.emissiveStrength !== 1)
      ? doc.createExtension(KHRMaterialsEmissiveStrength)
      : null,
    unlit: scene.materials.some((m) => m.unlit) ? doc.createExtension(KHRMaterialsUnlit) : null,
    transmission: scene.materials.some((m) => m.transmission > 0)
      ? doc.createExtension(KHRMaterialsTransmission)
      : null,
    transform: scene.materials.some((m) =>
      [m.baseColorTexture, m.metallicRoughnessTexture, m.normalTexture, m.occlusionTexture, m.emissiveTexture].some(
        (r) => r?.transform,
      ),
    )
      ? doc.createExtension(KHRTextureTransform)
      : null,
    instancing: scene.nodes.some((n) => n.instances)
      ? doc.createExtension(EXTMeshGPUInstancing).setRequired(true)
      : null,
    lightmap: scene.materials.some((m) => m.lightmap) ? doc.createExtension(MOZLightmap) : null,
  };

  const textures: GTexture[] = scene.textures.map((t) =>
    doc.createTexture(t.name).setImage(t.image).setMimeType(t.mimeType),
  );

  const setRef = (info: TextureInfo | null, r: TextureRef) => {
    if (!info) return;
    info.setTexCoord(r.texCoord);
    if (r.transform && ext.transform) {
      const tt = ext.transform
        .createTransform()
        .setOffset(r.transform.offset)
        .setRotation(r.transform.rotation)
        .setScale(r.transform.scale);
      if (r.transform.texCoord !== undefined) tt.setTexCoord(r.transform.texCoord);
      info.setExtension('KHR_texture_transform', tt);
    }
  };

  const materials: GMaterial[] = scene.materials.map((m) => {
    const g = doc
      .createMaterial(m.name)
      .setBaseColorFactor(m.baseColorFactor)
      .setMetallicFactor(m.metallicFactor)
      .setRoughnessFactor(m.roughnessFactor)
      .setEmissiveFactor(m.emissiveFactor)
      .setAlphaMode(m.alphaMode)
      .setAlphaCutoff(m.alphaCutoff)
      .setDoubleSided(m.doubleSided);
    if (m.baseColorTexture) {
      g.setBaseColorTexture(textures[m.baseColorTexture.texture]);
      setRef(g.getBaseColorTextureInfo(), m.baseColorTexture);
    }
    if (m.metallicRoughnessTexture) {
      g.setMetallicRoughnessTexture(textures[m.metallicRoughnessTexture.texture]);
      setRef(g.getMetallicRoughnessTextureInfo(), m.metallicRoughnessTexture);
    }
    if (m.normalTexture) {
      g.setNormalTexture(textures[m.normalTexture.texture]).setNormalScale(m.normalTexture.scale);
      setRef(g.getNormalTextureInfo(), m.normalTexture);
    }
    if (m.occlusionTexture) {
      g.setOcclusionTexture(textures[m.occlusionTexture.texture]).setOcclusionStrength(m.occlusionTexture.strength);
      setRef(g.getOcclusionTextureInfo(), m.occlusionTexture);
    }
    if (m.emissiveTexture) {
      g.setEmissiveTexture(textures[m.emissiveTexture.texture]);
      setRef(g.getEmissiveTextureInfo(), m.emissiveTexture);
    }
    if (ext.strength && m.emissiveStrength !== 1)
      g.setExtension(
        'KHR_materials_emissive_strength',
        ext.strength.createEmissiveStrength().setEmissiveStrength(m.emissiveStrength),
      );
    if (ext.unlit && m.unlit) g.setExtension('KHR_materials_unlit', ext.unlit.createUnlit());
    if (ext.transmission && m.transmission > 0)
      g.setExtension(
        'KHR_materials_transmission',
        ext.transmission.createTransmission().setTransmissionFactor(m.transmission),
      );
    if (ext.lightmap && m.lightmap)
      g.setExtension(
        'MOZ_lightmap',
        ext.lightmap.createLightmap().setTexture(textures[m.lightmap.texture]).setIntensity(m.lightmap.intensity),
      );
    return g;
  });

  const meshes = scene.meshes.map((mesh) => {
    const gm = doc.createMesh(mesh.name);
    for (const p of mesh.primitives) {
      const vertexCount = p.positions.length / 3;
      const acc = (type: 'VEC2' | 'VEC3' | 'VEC4', array: Float32Array) =>
        doc.createAccessor().setType(type).setArray(array).setBuffer(buffer);
      const gp = doc
        .createPrimitive()
        .setAttribute('POSITION', acc('VEC3', p.positions))
        .setIndices(
          doc
            .createAccessor()
            .setType('SCALAR')
            .setBuffer(buffer)
            .setArray(vertexCount <= 0xffff ? Uint16Array.from(p.indices) : p.indices),
        );
      if (p.normals) gp.setAttribute('NORMAL', acc('VEC3', p.normals));
      if (p.tangents) gp.setAttribute('TANGENT', acc('VEC4', p.tangents));
      // glTF numbers TEXCOORD sets from 0 without gaps: a lightmapped primitive without UV0 (an untextured scene)
      // gets its lightmap UVs as set 0 too, which nothing else reads, so that its UV1 stays valid glTF.
      if (p.uv0 || p.uv1) gp.setAttribute('TEXCOORD_0', acc('VEC2', p.uv0 ?? p.uv1!));
      if (p.uv1) gp.setAttribute('TEXCOORD_1', acc('VEC2', p.uv1));
      if (p.colors) gp.setAttribute('COLOR_0', acc('VEC4', p.colors));
      if (p.material >= 0) gp.setMaterial(materials[p.material]);
      gm.addPrimitive(gp);
    }
    return gm;
  });

  const cameras = scene.cameras.map((c) => {
    const g = doc.createCamera(c.name).setType(c.type).setZNear(c.znear);
    if (c.type === 'perspective') {
      g.setYFov(c.yfov);
      if (c.aspectRatio !== undefined) g.setAspectRatio(c.aspectRatio);
      if (c.zfar !== undefined) g.setZFar(c.zfar);
    } else
      g.setXMag(c.xmag)
        .setYMag(c.ymag)
        .setZFar(c.zfar ?? 1000);
    return g;
  });
  const lights = scene.lights.map((l) => {
    const g = ext.lights!.createLight(l.name).setType(l.type).setColor(l.color).setIntensity(l.intensity);
    if (l.range !== undefined) g.setRange(l.range);
    if (l.type === 'spot') g.setInnerConeAngle(l.innerConeAngle).setOuterConeAngle(l.outerConeAngle);
    // Emitter size has no place in KHR_lights_punctual; extras carry it so soft shadows survive a round trip.
    // `baked`: the light's contribution is in the lightmaps; viewers skip it for lightmapped meshes (bake/README.md).
    if (l.size !== undefined || l.baked)
      g.setExtras({ ote: { ...(l.size !== undefined ? { size: l.size } : {}), ...(l.baked ? { baked: true } : {}) } });
    return g;
  });

  const nodes = scene.nodes.map((n) => {
    const g = doc.createNode(n.name).setTranslation(n.translation).setRotation(n.rotation).setScale(n.scale);
    if (n.mesh !== undefined) g.setMesh(meshes[n.mesh]);
    if (n.camera !== undefined) g.setCamera(cameras[n.camera]);
    if (n.light !== undefined) g.setExtension('KHR_lights_punctual', lights[n.light]);
    // glTF has no mobility: an engine's movable object (adapters/engine-scene.ts) stays unbaked through level.glb.
    if (n.dynamic) g.setExtras({ ote: { dynamic: true } });
    if (n.instances && ext.instancing) {
      const inst = ext.instancing
        .createInstancedMesh()
        .setAttribute(
          'TRANSLATION',
          doc.createAccessor().setType('VEC3').setArray(n.instances.translation).setBuffer(buffer),
        )
        .setAttribute('ROTATION', doc.createAccessor().setType('VEC4').setArray(n.instances.rotation).setBuffer(buffer))
        .setAttribute('SCALE', doc.createAccessor().setType('VEC3').setArray(n.instances.scale).setBuffer(buffer));
      g.setExtension('EXT_mesh_gpu_instancing', inst);
    }
    return g;
  });
  scene.nodes.forEach((n, i) => n.children.forEach((c) => nodes[i].addChild(nodes[c])));
  const gscene = doc.createScene(scene.name);
  for (const r of scene.roots) gscene.addChild(nodes[r]);
  root.setDefaultScene(gscene);
  return doc;
}
