/**
 * Three-vectors as plain arrays: the few operations the core would otherwise write inline (face normals and
 * areas above all). Arguments are any array-like (a tuple, a Float32Array); results are new tuples. Each
 * evaluates in the same order as the inline code it replaced, so results are bit-identical.
 */
type Triple = [number, number, number];

export const sub = (a: ArrayLike<number>, b: ArrayLike<number>): Triple => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

export const cross = (a: ArrayLike<number>, b: ArrayLike<number>): Triple => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

export const length = (a: ArrayLike<number>): number => Math.hypot(a[0], a[1], a[2]);

/** `a` scaled to unit length; a zero vector stays zero. */
export function normalize(a: ArrayLike<number>): Triple {
  const l = length(a) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}

/**
 * (b − a) × (c − a) for the corners at offsets a, b, c (3 × vertex index) of a flat xyz array: the face normal
 * of a counter-clockwise triangle, twice its area long.
 */
export function triangleCross(positions: ArrayLike<number>, a: number, b: number, c: number): Triple {
  const P = positions;
  return cross(
    [P[b] - P[a], P[b + 1] - P[a + 1], P[b + 2] - P[a + 2]],
    [P[c] - P[a], P[c + 1] - P[a + 1], P[c + 2] - P[a + 2]],
  );
}
