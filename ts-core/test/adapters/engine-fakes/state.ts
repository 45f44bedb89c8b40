/**
 * What the fake engines hold and record, shared by the fakes and the dry-run test through globalThis (the plugin
 * scripts import the fakes by their engine module names, so nothing can be passed to them directly).
 */
export interface FakeCall {
  fn: string;
  args: unknown[];
}

export interface FakeEngineState {
  /** The level, in each engine's own terms (see ue.ts and csharp.ts). */
  level: unknown;
  calls: FakeCall[];
  /** Resolved when the script starts the ote process (its last step before polling). */
  started: Promise<void>;
  markStarted: () => void;
  /**
   * The ote process the engine runs, scripted: the lines it prints and its exit code. Absent: it cannot be started,
   * and the dry run ends there.
   */
  process?: { lines: string[]; exitCode: number };
  /** Called when the script shows the run's verdict (OptimizerRun.End, OteEditorLibrary.EndRun). */
  markEnded?: () => void;
}

export function fakeState(): FakeEngineState {
  const g = globalThis as { __oteFakeEngine?: FakeEngineState };
  if (!g.__oteFakeEngine)
    throw new Error('engine fake: the test sets globalThis.__oteFakeEngine before importing a plugin');
  return g.__oteFakeEngine;
}

export function record(fn: string, ...args: unknown[]): void {
  fakeState().calls.push({ fn, args });
}
