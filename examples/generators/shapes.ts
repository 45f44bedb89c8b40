/** Mesh builders for the example scenes: flat triangle lists with normals and uv0, in metres. */
import { mat4, quat } from 'gl-matrix';
import type { Primitive } from '../../ts-core/src/scene/types.js';
import { lookAt } from '../../ts-core/src/scene/view.js';
import { cross, normalize } from '../../ts-core/src/util/vec3.js';

export class MeshBuilder {
  private pos: number[] = [];
  private nrm: number[] = [];
  private uv: number[] = [];
  private idx: number[] = [];

  get vertexCount(): number {
    return this.pos.length / 3;
  }

  vertex(p: ArrayLike<number>, n: ArrayLike<number>, uv: ArrayLike<number>): number {
    this.pos.push(p[0], p[1], p[2]);
    this.nrm.push(n[0], n[1], n[2]);
    this.uv.push(uv[0], uv[1]);
    return this.vertexCount - 1;
  }

  triangle(a: number, b: number, c: number): void {
    this.idx.push(a, b, c);
  }

  /** A grid quad from corner `o` along edges `u` and `v` (normal = u × v), split into nu × nv cells. */
  quad(o: number[], u: number[], v: number[], nu = 1, nv = 1, uvScale: [number, number] = [1, 1]): void {
    const n = normalize(cross(u, v));
    const base = this.vertexCount;
    for (let j = 0; j <= nv; j++)
      for (let i = 0; i <= nu; i++) {
        const s = i / nu,
          t = j / nv;
        this.vertex([o[0] + u[0] * s + v[0] * t, o[1] + u[1] * s + v[1] * t, o[2] + u[2] * s + v[2] * t], n, [
          s * uvScale[0],
          t * uvScale[1],
        ]);
      }
    for (let j = 0; j < nv; j++)
      for (let i = 0; i < nu; i++) {
        const a = base + j * (nu + 1) + i;
        this.triangle(a, a + 1, a + nu + 2);
        this.triangle(a, a + nu + 2, a + nu + 1);
      }
  }

  /** Axis-aligned box centred at c with half-extents h, faces outward; `sub` cells per face edge. */
  box(c: number[], h: number[], sub = 1): void {
    const [x, y, z] = c,
      [a, b, d] = h;
    this.quad([x - a, y - b, z + d], [2 * a, 0, 0], [0, 2 * b, 0], sub, sub); // +z
    this.quad([x + a, y - b, z - d], [-2 * a, 0, 0], [0, 2 * b, 0], sub, sub); // -z
    this.quad([x + a, y - b, z + d], [0, 0, -2 * d], [0, 2 * b, 0], sub, sub); // +x
    this.quad([x - a, y - b, z - d], [0, 0, 2 * d], [0, 2 * b, 0], sub, sub); // -x
    this.quad([x - a, y + b, z + d], [2 * a, 0, 0], [0, 0, -2 * d], sub, sub); // +y
    this.quad([x - a, y - b, z - d], [2 * a, 0, 0], [0, 0, 2 * d], sub, sub); // -y
  }

  /** Vertical cylinder (no caps) of radius r from y0 to y1 around (x, z). */
  cylinder(x: number, z: number, r: number, y0: number, y1: number, segments: number, rings: number): void {
    const base = this.vertexCount;
    for (let j = 0; j <= rings; j++)
      for (let i = 0; i <= segments; i++) {
        const a = (i / segments) * Math.PI * 2,
          ca = Math.cos(a),
          sa = Math.sin(a);
        this.vertex([x + r * ca, y0 + (y1 - y0) * (j / rings), z + r * sa], [ca, 0, sa], [i / segments, j / rings]);
      }
    for (let j = 0; j < rings; j++)
      for (let i = 0; i < segments; i++) {
        const a = base + j * (segments + 1) + i,
          b = a + segments + 1;
        this.triangle(a, b, a + 1);
        this.triangle(a + 1, b, b + 1);
      }
  }

  /**
   * A semicircular arch band (the intrados) spanning from p0 to p1 at height y, thickness along the horizontal
   * perpendicular `depth`, as a curved strip facing down and inward.
   */
  arch(p0: number[], p1: number[], y: number, depth: number, segments: number): void {
    const mid = [(p0[0] + p1[0]) / 2, (p0[2] + p1[2]) / 2];
    const dx = (p1[0] - p0[0]) / 2,
      dz = (p1[2] - p0[2]) / 2;
    const r = Math.hypot(dx, dz),
      ux = dx / r,
      uz = dz / r;
    const px = (-uz * depth) / 2,
      pz = (ux * depth) / 2;
    const base = this.vertexCount;
    for (let i = 0; i <= segments; i++) {
      const a = Math.PI * (1 - i / segments),
        ca = Math.cos(a),
        sa = Math.sin(a);
      const cx = mid[0] + ux * r * ca,
        cz = mid[1] + uz * r * ca,
        cy = y + r * sa;
      const n = [-ux * ca, -sa, -uz * ca];
      this.vertex([cx - px, cy, cz - pz], n, [i / segments, 0]);
      this.vertex([cx + px, cy, cz + pz], n, [i / segments, 1]);
    }
    for (let i = 0; i < segments; i++) {
      const a = base + 2 * i;
      this.triangle(a, a + 2, a + 1);
      this.triangle(a + 1, a + 2, a + 3);
    }
  }

  build(material: number): Primitive {
    return {
      positions: Float32Array.from(this.pos),
      normals: Float32Array.from(this.nrm),
      uv0: Float32Array.from(this.uv),
      indices: Uint32Array.from(this.idx),
      material,
    };
  }
}

/** Quaternion (xyzw) rotating by `angle` radians about the unit axis. */
export function axisAngle(axis: number[], angle: number): [number, number, number, number] {
  const s = Math.sin(angle / 2);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

/** Quaternion that makes a camera at `eye` look at `target` (camera looks down -Z, +Y up), from scene/view's lookAt. */
export function lookAtRotation(eye: number[], target: number[]): [number, number, number, number] {
  const m = lookAt(eye as [number, number, number], target as [number, number, number]);
  return Array.from(mat4.getRotation(quat.create(), m)) as [number, number, number, number];
}
