/**
 * Node module hooks for the plugins' dry run (plugin-dry-run.test.ts): the editors' modules `ue`, `csharp` and
 * `puerts` resolve to the recording fakes beside this file. Nothing else is touched.
 */
const FAKES: Record<string, string> = { ue: 'ue.js', csharp: 'csharp.js', puerts: 'puerts.js' };

export async function resolve(
  specifier: string,
  context: unknown,
  next: (s: string, c: unknown) => Promise<unknown>,
): Promise<unknown> {
  const fake = FAKES[specifier];
  if (fake) return { url: new URL(fake, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
