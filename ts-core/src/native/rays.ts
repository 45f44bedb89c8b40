/**
 * The native ray-tracing core (native-cuda/include/ote/bvh/scene_bvh.h, ray/traverse.h): a two-level SAH BVH over
 * a FlatScene, kept alive across calls, and batch ray queries on the CPU threads or CUDA.
 *
 *   const bvh = await SceneBvh.build(flattenScene(scene));
 *   const hits = await bvh.traceRays(origins, directions);          // closest hits
 *   const blocked = await bvh.traceRays(o, d, { anyHit: true });    // occlusion
 *   bvh.dispose();                                                  // or leave it to the garbage collector
 *
 * The batch API is for tools and tests. Kernels that shoot many rays (baking, rendering) generate them in
 * native code and never cross N-API per ray.
 */
import type { FlatScene } from '../scene/flatten.js';
import { addon, type Backend } from './addon.js';
import type { BvhStats, NativeBvhHandle, TraceTiming } from './addon-api.js';
import { runJob, type JobOptions } from './job.js';

export type { BvhStats, NativeBvhHandle, TraceTiming } from './addon-api.js';

/** Triangle or instance index of a miss. */
export const NO_HIT = 0xffffffff;

export interface BuildOptions extends JobOptions {
  /** Most triangles per BLAS leaf (default 8; SAH chooses smaller leaves where they pay). */
  maxLeafSize?: number;
  /**
   * Build the meshes that only one instance draws in world space, together in one "world" BVH (default true):
   * faster on scenes of many unique meshes, whose boxes overlap. Off: every mesh keeps its own object-space BVH.
   */
  mergeIntoWorld?: boolean;
  /**
   * Meshes drawn several times are copied into the world BVH too, smallest first, while the copies add at most
   * this fraction of the scene's stored triangles (default 1; 0: never copy). Large instanced meshes, such as
   * foliage, stay instanced.
   */
  copyBudget?: number;
}

export interface TraceOptions extends JobOptions {
  /** Occlusion only: fill `occluded` and stop each ray at its first hit. */
  anyHit?: boolean;
  /** t range for every ray (t in units of |direction|), unless per-ray tmin/tmax arrays are given. */
  tmin?: number;
  tmax?: number;
  tminPerRay?: Float32Array;
  tmaxPerRay?: Float32Array;
  /** Ignore triangles seen from behind (front = counter-clockwise in object space, glTF). */
  backfaceCull?: boolean;
  backend?: Backend;
  /** Also return world-space unit geometric normals (3 floats per ray). */
  normals?: boolean;
  /**
   * Write the hits into these arrays instead of new ones, e.g. the result of an earlier call with as many rays:
   * a tool that traces batch after batch then allocates (and the OS zeroes) nothing per batch. Each array given
   * must have the length this call needs; those not given are allocated.
   */
  into?: Partial<
    Pick<ClosestHits, 't' | 'prim' | 'instance' | 'barycentrics' | 'normal'> & Pick<Occlusion, 'occluded'>
  >;
}

export interface ClosestHits extends TraceTiming {
  /** Hit distance in units of |direction|; tmax on a miss. */
  t: Float32Array;
  /** FlatScene triangle index, NO_HIT on a miss. */
  prim: Uint32Array;
  /** FlatScene instance index, NO_HIT on a miss. */
  instance: Uint32Array;
  /** u, v per ray: barycentrics of triangle corners 1 and 2. */
  barycentrics: Float32Array;
  normal?: Float32Array;
}

export interface Occlusion extends TraceTiming {
  /** 1 when something lies on the ray within its t range. */
  occluded: Uint8Array;
}

export class SceneBvh {
  private constructor(
    private handle_: NativeBvhHandle | undefined,
    public stats: BvhStats,
    private readonly flat: FlatScene,
  ) {}

  /**
   * Build the BVH for a flattened scene on all CPU threads. The BVH keeps its own copy of what tracing needs; it
   * also keeps `flat` referenced, because a refit transforms the merged meshes' triangles again.
   */
  static async build(flat: FlatScene, opts: BuildOptions = {}): Promise<SceneBvh> {
    const r = await runJob<{ handle: NativeBvhHandle; stats: BvhStats }>(
      (onProgress) =>
        addon().createSceneBvh(flat, {
          maxLeafSize: opts.maxLeafSize,
          mergeIntoWorld: opts.mergeIntoWorld,
          copyBudget: opts.copyBudget,
          onProgress,
        }),
      opts,
    );
    return new SceneBvh(r.handle, r.stats, flat);
  }

  get instanceCount(): number {
    return this.flat.instanceMesh.length;
  }

  get triangleCount(): number {
    return this.flat.indices.length / 3;
  }

  /** The native handle, for other native wrappers. Throws once disposed. */
  get handle(): NativeBvhHandle {
    if (!this.handle_) throw new Error('scene BVH used after dispose()');
    return this.handle_;
  }

  /**
   * Instances moved: new world matrices (16 floats per FlatScene instance, column-major). The boxes are refitted
   * in place and the moved meshes of the world BVH transformed again; the TLAS is rebuilt if an instance became
   * singular or valid, and everything if that changes which meshes are merged. Other meshes are not rebuilt.
   */
  async refit(instanceTransforms: Float32Array, opts: JobOptions = {}): Promise<BvhStats> {
    const want = 16 * this.instanceCount;
    if (!(instanceTransforms instanceof Float32Array) || instanceTransforms.length !== want)
      throw new RangeError(
        `refit: instanceTransforms has length ${instanceTransforms.length}, expected ${want} (16 floats for each of ${this.instanceCount} instances)`,
      );
    const scene: FlatScene = { ...this.flat, instanceTransforms };
    this.stats = await runJob<BvhStats>(
      (onProgress) => addon().refitSceneBvh(this.handle, scene, { onProgress }),
      opts,
    );
    return this.stats;
  }

  traceRays(origins: Float32Array, directions: Float32Array, opts: TraceOptions & { anyHit: true }): Promise<Occlusion>;
  traceRays(origins: Float32Array, directions: Float32Array, opts?: TraceOptions): Promise<ClosestHits>;
  async traceRays(
    origins: Float32Array,
    directions: Float32Array,
    opts: TraceOptions = {},
  ): Promise<ClosestHits | Occlusion> {
    if (origins.length !== directions.length || origins.length % 3)
      throw new RangeError(
        `traceRays: origins (${origins.length}) and directions (${directions.length}) must be equal multiples of 3`,
      );
    const n = origins.length / 3;
    const rays = { origins, directions, tmin: opts.tminPerRay, tmax: opts.tmaxPerRay };
    const options = {
      anyHit: !!opts.anyHit,
      tmin: opts.tmin ?? 0,
      tmax: opts.tmax ?? Infinity,
      backfaceCull: !!opts.backfaceCull,
      backend: opts.backend ?? 'auto',
    };
    const into = opts.into ?? {};
    const output = <T extends Float32Array | Uint32Array | Uint8Array>(
      name: keyof typeof into,
      make: new (n: number) => T,
      length: number,
    ): T => {
      const a = into[name] as T | undefined;
      if (a === undefined) return new make(length);
      if (!(a instanceof make) || a.length !== length)
        throw new RangeError(
          `traceRays: into.${name} must be a ${make.name} of length ${length} (${n} rays), got ${a.constructor.name} of length ${a.length}`,
        );
      return a;
    };
    if (opts.anyHit) {
      const occluded = output('occluded', Uint8Array, n);
      const r = await runJob<TraceTiming>(
        (onProgress) => addon().traceRays(this.handle, rays, { occluded }, { ...options, onProgress }),
        opts,
      );
      return { backend: r.backend, traceMs: r.traceMs, occluded };
    }
    const out = {
      t: output('t', Float32Array, n),
      prim: output('prim', Uint32Array, n),
      instance: output('instance', Uint32Array, n),
      barycentrics: output('barycentrics', Float32Array, 2 * n),
      ...(opts.normals ? { normal: output('normal', Float32Array, 3 * n) } : {}),
    };
    const r = await runJob<TraceTiming>(
      (onProgress) => addon().traceRays(this.handle, rays, out, { ...options, onProgress }),
      opts,
    );
    return { backend: r.backend, traceMs: r.traceMs, ...out };
  }

  /** Free the native memory now rather than at garbage collection. Running jobs keep their own reference. */
  dispose(): void {
    if (this.handle_) addon().disposeSceneBvh(this.handle_);
    this.handle_ = undefined;
  }
}
