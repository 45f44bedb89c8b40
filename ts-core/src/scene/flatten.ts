/**
 * The flattened view every native kernel reads: all unique meshes' triangles in one vertex and index array,
 * plus an instance list (mesh, world matrix). Instanced meshes are stored once, however many times they are drawn.
 * Layout matches native-cuda/include/ote/flat_scene.h.
 */
import { instanceMatrix, multiply, worldMatrices } from './transform.js';
import { instanceCount, type Scene } from './types.js';

export interface FlatScene {
  positions: Float32Array;
  indices: Uint32Array;
  /** Mesh m owns triangles [meshFirstTriangle[m], meshFirstTriangle[m+1]). */
  meshFirstTriangle: Uint32Array;
  /** Per triangle: the scene material index (-1 default), for kernels that shade. */
  triangleMaterial: Int32Array;
  /** Per mesh vertex range, for kernels that need attributes. */
  meshFirstVertex: Uint32Array;
  instanceMesh: Uint32Array;
  instanceTransforms: Float32Array;
  /** Per instance: the node that draws it, and the copy index within EXT_mesh_gpu_instancing (0 otherwise). */
  instanceNode: Uint32Array;
  instanceCopy: Uint32Array;
  /** Triangles drawn, counting instances. */
  instancedTriangleCount: number;
}

const cache = new WeakMap<Scene, FlatScene>();

/** Flatten once per scene object; later calls return the cached view. Mutating the scene afterwards is not seen. */
export function flattenScene(scene: Scene): FlatScene {
  const hit = cache.get(scene);
  if (hit) return hit;
  let vertexCount = 0,
    triangleCount = 0;
  for (const mesh of scene.meshes)
    for (const p of mesh.primitives) {
      vertexCount += p.positions.length / 3;
      triangleCount += p.indices.length / 3;
    }
  if (vertexCount > 0xffffffff || triangleCount > 0xffffffff / 3)
    throw new RangeError(
      `scene${scene.source ? ` ${scene.source}` : ''}: ${triangleCount} triangles exceed the 32-bit index range`,
    );

  const positions = new Float32Array(vertexCount * 3);
  const indices = new Uint32Array(triangleCount * 3);
  const triangleMaterial = new Int32Array(triangleCount);
  const meshFirstTriangle = new Uint32Array(scene.meshes.length + 1);
  const meshFirstVertex = new Uint32Array(scene.meshes.length + 1);
  let v = 0,
    t = 0;
  scene.meshes.forEach((mesh, m) => {
    meshFirstTriangle[m] = t;
    meshFirstVertex[m] = v;
    for (const p of mesh.primitives) {
      positions.set(p.positions, v * 3);
      const n = p.indices.length;
      for (let i = 0; i < n; i++) indices[t * 3 + i] = p.indices[i] + v;
      triangleMaterial.fill(p.material, t, t + n / 3);
      v += p.positions.length / 3;
      t += n / 3;
    }
  });
  meshFirstTriangle[scene.meshes.length] = t;
  meshFirstVertex[scene.meshes.length] = v;

  const world = worldMatrices(scene);
  const instMesh: number[] = [],
    instNode: number[] = [],
    instCopy: number[] = [];
  const transforms: Float32Array[] = [];
  let instanced = 0;
  scene.nodes.forEach((node, n) => {
    if (node.mesh === undefined) return;
    const tris = meshFirstTriangle[node.mesh + 1] - meshFirstTriangle[node.mesh];
    const copies = node.instances ? instanceCount(node.instances) : 1;
    for (let c = 0; c < copies; c++) {
      instMesh.push(node.mesh);
      instNode.push(n);
      instCopy.push(c);
      transforms.push(node.instances ? multiply(world[n], instanceMatrix(node.instances, c)) : world[n]);
      instanced += tris;
    }
  });
  const instanceTransforms = new Float32Array(transforms.length * 16);
  transforms.forEach((m, i) => instanceTransforms.set(m, i * 16));
  const flat: FlatScene = {
    positions,
    indices,
    meshFirstTriangle,
    triangleMaterial,
    meshFirstVertex,
    instanceMesh: Uint32Array.from(instMesh),
    instanceTransforms,
    instanceNode: Uint32Array.from(instNode),
    instanceCopy: Uint32Array.from(instCopy),
    instancedTriangleCount: instanced,
  };
  cache.set(scene, flat);
  return flat;
}
