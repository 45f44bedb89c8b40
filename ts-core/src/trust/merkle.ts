/**
 * RFC 6962 Merkle tree math (section 2.1): leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right),
 * the split point is the largest power of two below n. Inclusion and consistency proofs are generated from a
 * leaf-hash accessor (so the log can read them from SQLite) and verified with the RFC 9162 section 2.1.3.2 /
 * 2.1.4.2 algorithms. Pure: runs in the editor for offline certificate checks.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual } from './bytes.js';

export type Hash = Uint8Array;
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Hash {
  const b = new Uint8Array(data.length + 1);
  b[0] = 0x00;
  b.set(data, 1);
  return sha256(b);
}

export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length !== 32 || right.length !== 32) throw new TypeError('Merkle node children must be 32-byte hashes');
  const b = new Uint8Array(65);
  b[0] = 0x01;
  b.set(left, 1);
  b.set(right, 33);
  return sha256(b);
}

/** Largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Reads leaf hash i; lets the log serve proofs without holding every leaf in one array. */
export type LeafAt = (i: number) => Hash;

/** Merkle Tree Hash of leaves [lo, hi). */
export function subtreeRoot(leafAt: LeafAt, lo: number, hi: number, memo?: Map<string, Hash>): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafAt(lo);
  const key = memo && `${lo}:${hi}`;
  const hit = key ? memo!.get(key) : undefined;
  if (hit) return hit;
  const k = split(n);
  const h = nodeHash(subtreeRoot(leafAt, lo, lo + k, memo), subtreeRoot(leafAt, lo + k, hi, memo));
  if (key) memo!.set(key, h);
  return h;
}

export function rootOf(leaves: Hash[]): Hash {
  return subtreeRoot((i) => leaves[i], 0, leaves.length);
}

/** Audit path for leaf `index` in the tree of the first `size` leaves (RFC 6962 PATH(m, D[n])). */
export function inclusionProof(leafAt: LeafAt, index: number, size: number): Hash[] {
  if (!(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size))
    throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const path: Hash[] = [];
  const walk = (m: number, lo: number, hi: number) => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(subtreeRoot(leafAt, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(subtreeRoot(leafAt, lo, lo + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** Consistency proof between the trees of the first `first` and `second` leaves (RFC 6962 PROOF(m, D[n])). */
export function consistencyProof(leafAt: LeafAt, first: number, second: number): Hash[] {
  if (!(Number.isInteger(first) && Number.isInteger(second) && first >= 0 && first <= second))
    throw new RangeError(`no consistency proof from ${first} to ${second}`);
  if (first === 0 || first === second) return [];
  const proof: Hash[] = [];
  const sub = (m: number, lo: number, hi: number, whole: boolean) => {
    const n = hi - lo;
    if (m === n) {
      if (!whole) proof.push(subtreeRoot(leafAt, lo, hi));
      return;
    }
    const k = split(n);
    if (m <= k) {
      sub(m, lo, lo + k, whole);
      proof.push(subtreeRoot(leafAt, lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      proof.push(subtreeRoot(leafAt, lo, lo + k));
    }
  };
  sub(first, 0, second, true);
  return proof;
}

const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === 32;

/** RFC 9162 2.1.3.2. False (never throws) on any malformed input. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash): boolean {
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof) || !proof.every(isHash)) return false;
  if (!(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size)) return false;
  let fn = index,
    sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/** RFC 9162 2.1.4.2. False (never throws) on any malformed input. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: Hash[],
): boolean {
  if (!isHash(firstRoot) || !isHash(secondRoot) || !Array.isArray(proof) || !proof.every(isHash)) return false;
  if (!(Number.isInteger(first) && Number.isInteger(second) && first >= 0 && first <= second)) return false;
  if (first === second) return proof.length === 0 && bytesEqual(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0 && bytesEqual(firstRoot, EMPTY_ROOT);
  let path = proof;
  // A power-of-two first tree is itself a subtree: its root starts the path.
  if ((first & (first - 1)) === 0) path = [firstRoot, ...proof];
  if (path.length === 0) return false;
  let fn = first - 1,
    sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0],
    sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot);
}
