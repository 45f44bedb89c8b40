/**
 * What an editor shows while its `ote` process runs and when it ends. Both plugins feed every line the process
 * prints to a RunWatch (ote-command.ts: JSON lines, progress on stderr and one `result` line on stdout, from
 * `ote optimize` and `ote farm submit --wait` alike; plain lines are the CLI's own messages, such as
 * "ote optimize: level.glb: nodes[3] ...: ..." on bad input) and show what it returns: each stage's progress while
 * it runs, and at the end one notice with the verdict, the exit reason when it failed, and the paths of the report
 * and the certificate.
 *
 * Runs inside Puerts' V8: no Node builtins.
 */
import { isOteError } from '../errors.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';

/** A stage's progress, for the editor's progress bar or log. */
export interface RunProgress {
  stage: string;
  /** 0..1. */
  fraction: number;
  /** "bake 40%", with the stage's detail when it gave one. */
  text: string;
}

/** The end of a run, as the editor shows it. */
export interface RunNotice {
  /** Exit 0: optimized, and verified unless verification was skipped. */
  ok: boolean;
  exitCode: number;
  /** One short line: "Optimized and verified", "Below the profile's quality", ... */
  title: string;
  /** Why: the run's exit reason, or the CLI's last message when it ended before a result. */
  text: string;
  /** report.html's path, when the run wrote one. */
  report?: string;
  /** certificate.json's path, when the run was verified. */
  certificate?: string;
}

/** Titles by exit code (README, "Exit codes"). */
const TITLES: Record<number, string> = {
  [EXIT.OK]: 'Optimized and verified',
  [EXIT.INTERNAL]: 'Internal error in ote (please report it)',
  [EXIT.USAGE]: 'The plugin called ote wrongly (please report it)',
  [EXIT.BAD_INPUT]: 'The level could not be read',
  [EXIT.TOO_BIG]: "Over the profile's budget",
  [EXIT.BAD_PROFILE]: 'The profile is not valid',
  [EXIT.QUALITY_BELOW_THRESHOLD]: "Below the profile's quality",
  [EXIT.VERIFICATION_REJECTED]: 'Rejected by the verifier nodes',
  [EXIT.ENGINE_UNREACHABLE]: 'The Trust Engine could not be reached',
  [EXIT.VERIFICATION_FAILED]: 'Verification could not finish',
  [EXIT.CANCELLED]: 'Cancelled',
};

interface ResultLine {
  type: 'result';
  exitCode?: number | null;
  reason?: string;
  report?: string;
  /** `ote optimize`: the files by role; `ote farm submit`: the file names written. */
  outputs?: { certificate?: string } | string[];
}

/** The folder part of a path written by either platform's separator ("" when there is none). */
const folderOf = (path: string): string => path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);

export class RunWatch {
  private result: ResultLine | undefined;
  private lastMessage = '';

  /** Reads one line of the process's output; returns the progress to show, if the line is progress. */
  line(line: string): RunProgress | undefined {
    const text = line.trim();
    if (!text) return undefined;
    let e: { type?: unknown; stage?: unknown; fraction?: unknown; detail?: unknown } | undefined;
    if (text.startsWith('{'))
      try {
        e = JSON.parse(text);
      } catch {
        e = undefined;
      }
    if (!e || typeof e !== 'object') {
      this.lastMessage = text;
      return undefined;
    }
    if (e.type === 'result') this.result = e as ResultLine;
    if (e.type !== 'progress' || typeof e.stage !== 'string') return undefined;
    const fraction = Math.min(1, Math.max(0, typeof e.fraction === 'number' ? e.fraction : 0));
    const detail = typeof e.detail === 'string' && e.detail ? `: ${e.detail}` : '';
    return { stage: e.stage, fraction, text: `${e.stage} ${Math.round(100 * fraction)}%${detail}` };
  }

  /** The notice for a process that exited with `exitCode` (the result line's code wins where there is one). */
  finish(exitCode: number): RunNotice {
    const r = this.result;
    const code = typeof r?.exitCode === 'number' ? r.exitCode : exitCode;
    const reason = r?.reason ?? '';
    const title =
      code === EXIT.OK && /not verified/.test(reason)
        ? 'Optimized, not verified'
        : (TITLES[code] ?? `ote ended with exit code ${code}`);
    const text = reason || this.lastMessage || (r ? '' : 'ote ended without a result line');
    const notice: RunNotice = { ok: code === EXIT.OK, exitCode: code, title, text };
    if (r?.report) {
      notice.report = r.report;
      const named = Array.isArray(r.outputs) ? r.outputs.find((f) => f === 'certificate.json') : r.outputs?.certificate;
      if (named && code === EXIT.OK) notice.certificate = folderOf(r.report) + named;
    }
    return notice;
  }
}

/**
 * The notice for a plugin script that failed before or while starting `ote`: bad level data is an OteError naming
 * the actor and field (exit 3, as the CLI gives it), anything else a bug (exit 1).
 */
export function scriptFailure(e: unknown): RunNotice {
  const exitCode = isOteError(e) ? exitCodeFor(e.code) : EXIT.INTERNAL;
  const text = e instanceof Error ? e.message : String(e);
  return { ok: false, exitCode, title: TITLES[exitCode] ?? `ote ended with exit code ${exitCode}`, text };
}

/** The notice for an `ote` process the editor could not start (`command`: what it ran). */
export function startFailure(command: string): RunNotice {
  return {
    ok: false,
    exitCode: EXIT.INTERNAL,
    title: 'ote could not start',
    text: `could not start ${command}: is Node.js installed and on the PATH?`,
  };
}

/**
 * The verdict after a verified run's write-back (`writeBack` returns the line it adds, adapters/lightmap-write-back.ts
 * describeWriteBack): the run's notice with that line, or, when the write-back fails, a failure that says the run
 * itself succeeded and why the level was not changed. Other notices pass through: nothing is written back then.
 */
export async function afterWriteBack(notice: RunNotice, writeBack: () => Promise<string>): Promise<RunNotice> {
  if (!notice.ok) return notice;
  try {
    const written = await writeBack();
    return { ...notice, text: [notice.text, written].filter(Boolean).join('\n') };
  } catch (e) {
    const failed = scriptFailure(e);
    return {
      ...notice,
      ok: false,
      exitCode: failed.exitCode,
      title: 'Optimized, but not written back',
      text: failed.text,
    };
  }
}
