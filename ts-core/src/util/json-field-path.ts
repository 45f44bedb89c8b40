/**
 * The field a JSON Schema error (ajv's `instancePath`, "/classes/2/costPerHour") is about, as a user reads it in a
 * message: `classes[2].costPerHour`; `extra` names a property the error is about beneath it (a required or unknown
 * one). The root is `(root)`.
 */
export function jsonFieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`));
  if (extra) parts.push(`.${extra}`);
  return parts.join('').replace(/^\./, '') || '(root)';
}
