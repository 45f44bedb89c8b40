// The subset of Puerts' `puerts` module the plugin scripts use (the editor provides the module; it is not on npm).
declare module 'puerts' {
  export const argv: { getByName(name: string): unknown };
  export interface $Ref<T> { value: T }
  export function $ref<T>(x?: T): $Ref<T>;
  export function $unref<T>(r: $Ref<T>): T;
  export function toManualReleaseDelegate<T extends (...args: never[]) => unknown>(f: T): T;
}
