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

/** One message per JSON Schema error (ajv's shape), each naming its field: `classes[2].costPerHour: must be >= 0`. */
export function schemaProblems(
  errors: readonly { keyword: string; instancePath: string; params: unknown; message?: string }[] | null | undefined,
): string[] {
  return (errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties')
      return `${jsonFieldPath(e.instancePath, String(params.additionalProperty))}: unknown field`;
    if (e.keyword === 'required') return `${jsonFieldPath(e.instancePath, String(params.missingProperty))}: required`;
    if (e.keyword === 'enum')
      return `${jsonFieldPath(e.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    return `${jsonFieldPath(e.instancePath)}: ${e.message}`;
  });
}
