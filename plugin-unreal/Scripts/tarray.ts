/** Arrays across Unreal's reflection boundary (Puerts' `ue` TArray), to and from typed arrays. */
import * as UE from 'ue';

export const fromTArray = (list: UE.TArray<number>): Uint8Array =>
  Uint8Array.from({ length: list.Num() }, (_, i) => list.Get(i));

export function toTArray(bytes: Uint8Array): UE.TArray<number> {
  const list = UE.NewArray<number>(UE.BuiltinByte);
  for (const b of bytes) list.Add(b);
  return list;
}

/** A TArray<float> (or <int32> with `UE.BuiltinInt`) of `values`; empty for undefined. */
export function numbers(values: ArrayLike<number> | undefined, type: unknown = UE.BuiltinFloat): UE.TArray<number> {
  const list = UE.NewArray<number>(type);
  for (let i = 0; i < (values?.length ?? 0); i++) list.Add(values![i]);
  return list;
}
