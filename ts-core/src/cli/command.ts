/** The shape of one `ote` subcommand. Each lives in cli/commands/<name>.ts and is listed in cli/commands/index.ts, which loads it by name. */
export interface CommandContext {
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM; long work passes it down to native jobs. */
  signal: AbortSignal;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/** Resolves when `signal` aborts (Ctrl-C): the long-running servers wait on it. */
export function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
}
