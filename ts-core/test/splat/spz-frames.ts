/** Test helper: editing the Zstandard frames of a version 4 .spz (io/spz.ts has the layout). */

/** A copy of a version 4 file with its frame k replaced by `f` of it, the table of contents updated to match. */
export function withFrame(file: Uint8Array, k: number, f: (frame: Uint8Array) => Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength),
    count = file[15],
    toc = view.getUint32(16, true);
  const frames: Uint8Array[] = [];
  for (let s = 0, at = toc + 16 * count; s < count; s++) {
    const size = Number(view.getBigUint64(toc + 16 * s, true));
    frames.push(file.subarray(at, at + size));
    at += size;
  }
  frames[k] = f(frames[k]);
  const out = new Uint8Array(toc + 16 * count + frames.reduce((a, b) => a + b.length, 0));
  out.set(file.subarray(0, toc + 16 * count));
  const ov = new DataView(out.buffer);
  for (let s = 0, at = toc + 16 * count; s < count; s++) {
    ov.setBigUint64(toc + 16 * s, BigInt(frames[s].length), true);
    out.set(frames[s], at);
    at += frames[s].length;
  }
  return out;
}
