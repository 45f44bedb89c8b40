/** Fake of Puerts' `puerts` module: references for out-parameters, and $typeof. */
export function $ref<T>(value: T): { value: T } {
  return { value };
}
export function $unref<T>(r: { value: T }): T {
  return r.value;
}
export function $typeof(t: unknown): unknown {
  return t;
}
