/**
 * Byte counts in decimal units, as reports and file managers say them: 21.5 KB, 3.26 MB. (`ote info` keeps binary
 * units, io/gltf-container.ts fmtBytes, as memory budgets are powers of two.)
 */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
