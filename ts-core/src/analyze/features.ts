/** What the analyzer measures for each object (a node that draws a mesh, with all its instanced copies). */
import type { Bounds } from '../scene/bounds.js';
import type { LodEstimate } from './lod.js';

export interface ObjectFeatures {
  node: number;
  name: string;
  mesh: number;
  /** Copies drawn through EXT_mesh_gpu_instancing (1 for a plain node). */
  instances: number;
  /** Triangles of one copy, and drawn over all copies. */
  triangles: number;
  drawnTriangles: number;
  degenerateTriangles: number;
  /** World-space surface of all copies, in square metres (scene units squared). */
  surfaceArea: number;
  bounds: Bounds;
  /** Triangles per square metre of surface. */
  density: number;
  /** Largest fraction of the image the object covers at any reference view. */
  screenCoverage: number;
  /** Drawn triangles per unit of screen fraction: 1e6 triangles on 1% of the screen is 1e8. */
  screenDensity: number;
  /** Disconnected pieces of the mesh (welded by position): leaf cards and debris are many. */
  components: number;
  /** Shares of the object's triangles by material kind. */
  alphaTestedShare: number;
  alphaBlendShare: number;
  transmissionShare: number;
  emissiveShare: number;
  unlitShare: number;
  /** Texels of the distinct textures its materials read. */
  textureTexels: number;
  textureCount: number;
  animated: boolean;
  /** Thin: the smallest bounds extent is under 2% of the largest (cards, panels, leaves). */
  thin: boolean;
  /** Opaque world area facing down (n.y < -0.7) in the upper 40% of the scene's height: ceilings and roofs. */
  ceilingArea: number;
  lod: LodEstimate;
}

export interface SceneFeatures {
  objects: number;
  triangles: number;
  drawnTriangles: number;
  degenerateTriangles: number;
  instances: number;
  materials: number;
  textures: number;
  textureTexels: number;
  lights: { directional: number; point: number; spot: number };
  emissiveMaterials: number;
  emissiveArea: number;
  animatedObjects: number;
  surfaceArea: number;
  bounds: Bounds;
  diagonal: number;
  /** 0 (open sky) to 1 (closed room): ceiling area over the scene's horizontal footprint. */
  enclosed: number;
  /** Share of drawn triangles in alpha-tested, fragmented objects. */
  foliageShare: number;
}
