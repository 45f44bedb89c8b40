/**
 * The `ote` command line an editor plugin runs for its Optimize button: `ote optimize` on this machine, or, when
 * the studio points the editor at a farm (OTE_FARM_URL), `ote farm submit --wait` there. Both write the same outputs
 * into the same folder and speak the same JSON lines (progress on stderr, one `result` line on stdout), so the
 * plugin reads either the same way. The farm's API key is not put on the command line (other users can read that):
 * the `ote` process reads OTE_FARM_API_KEY from the environment it inherits from the editor.
 *
 * Runs inside Puerts' V8: no Node builtins.
 */
export interface OptimizeCommand {
  /** The scene the plugin wrote (level.glb). */
  input: string;
  /** Where the outputs go (optimized glTF, report.html, report.json, …). */
  outDir: string;
  /** A built-in profile name or a TD file's path. */
  profile: string;
  /** A farm's URL (http://host:port): the job runs there; empty or absent: here. */
  farmUrl?: string;
}

export const OPTIMIZE_COMMAND_DEFAULTS: Pick<OptimizeCommand, 'profile'> = { profile: 'balanced' };

/** The arguments after `node ote.js`. */
export function optimizeCommandArgs(c: OptimizeCommand): string[] {
  const profile = c.profile || OPTIMIZE_COMMAND_DEFAULTS.profile;
  const farm = c.farmUrl?.trim();
  if (farm && !/^https?:\/\/[^\s"]+$/.test(farm))
    throw new Error(`optimize command: OTE_FARM_URL "${farm}" is not an http:// or https:// URL`);
  return farm
    ? ['farm', 'submit', c.input, '--server', farm, '--wait', '-o', c.outDir, '--profile', profile, '--json']
    : ['optimize', c.input, '-o', c.outDir, '--profile', profile, '--json'];
}

/**
 * Arguments as one command line for CreateProc and ProcessStartInfo: each argument with a space, a tab or a quote
 * is double-quoted, with backslashes before a quote doubled and the quote escaped (the Windows and .NET rule, which
 * POSIX launchers that split on spaces also read).
 */
export function commandLine(args: readonly string[]): string {
  return args
    .map((a) => {
      if (a !== '' && !/[\s"]/.test(a)) return a;
      let out = '"';
      let slashes = 0; // backslashes seen and not yet written: their count depends on what follows
      for (const ch of a) {
        if (ch === '\\') slashes++;
        else {
          out += ch === '"' ? `${'\\'.repeat(2 * slashes + 1)}"` : `${'\\'.repeat(slashes)}${ch}`;
          slashes = 0;
        }
      }
      return `${out}${'\\'.repeat(2 * slashes)}"`;
    })
    .join(' ');
}
