/** Connected components of a triangle list (shared vertices or coincident positions), for foliage detection. */

/** Number of connected components; vertices at the same position count as connected (welded by position). */
export function countComponents(positions: Float32Array, indices: Uint32Array): number {
  const n = positions.length / 3;
  // Weld by exact position so split normals/UV seams do not break a surface into pieces.
  const weld = new Uint32Array(n);
  const seen = new Map<string, number>();
  for (let v = 0; v < n; v++) {
    const key = `${positions[3 * v]},${positions[3 * v + 1]},${positions[3 * v + 2]}`;
    const hit = seen.get(key);
    if (hit === undefined) {
      seen.set(key, v);
      weld[v] = v;
    } else weld[v] = hit;
  }
  const parent = new Uint32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const unite = (a: number, b: number) => {
    a = find(a);
    b = find(b);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  };
  const used = new Uint8Array(n);
  for (let t = 0; t < indices.length; t += 3) {
    const a = weld[indices[t]],
      b = weld[indices[t + 1]],
      c = weld[indices[t + 2]];
    used[a] = used[b] = used[c] = 1;
    unite(a, b);
    unite(a, c);
  }
  let count = 0;
  for (let v = 0; v < n; v++) if (used[v] && find(v) === v) count++;
  return count;
}
