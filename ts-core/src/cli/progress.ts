/**
 * Progress for humans and machines: a redrawn bar on a TTY, JSON lines with --json (for the editor plugins and CI),
 * and nothing when stderr is neither (logs stay clean).
 */
export interface ProgressEvent {
  stage: string;
  fraction: number;
  detail?: string;
}

export class Progress {
  private last = 0;
  private lastLine = '';
  constructor(private readonly mode: 'tty' | 'json' | 'quiet') {}

  static for(json: boolean): Progress {
    return new Progress(json ? 'json' : process.stderr.isTTY ? 'tty' : 'quiet');
  }

  update(stage: string, fraction: number, detail?: string): void {
    const now = Date.now();
    if (this.mode === 'json') {
      if (fraction < 1 && now - this.last < 100) return;
      this.last = now;
      process.stderr.write(
        `${JSON.stringify({ type: 'progress', stage, fraction: Math.round(fraction * 1000) / 1000, detail } satisfies ProgressEvent & { type: string })}\n`,
      );
    } else if (this.mode === 'tty') {
      if (fraction < 1 && now - this.last < 50) return;
      this.last = now;
      const width = 28,
        filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const line = `${stage.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%${detail ? `  ${detail}` : ''}`;
      if (line === this.lastLine) return;
      this.lastLine = line;
      process.stderr.write(`\r\x1b[K${line}`);
      if (fraction >= 1) {
        process.stderr.write('\n');
        this.lastLine = '';
      }
    }
  }

  done(stage: string, detail?: string): void {
    this.update(stage, 1, detail);
  }
}
