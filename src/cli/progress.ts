// A one-line progress bar for the terminal (stderr): bar, step, loss, tokens/s, ETA.

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private lastPrint = 0;

  constructor(private readonly total: number, private readonly width = 24) {}

  update(step: number, fields: Record<string, string>, secondsPerStep: number): void {
    const now = Date.now();
    const last = step === this.total;
    if (!last && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const filled = Math.round((step / this.total) * this.width);
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    const parts = Object.entries(fields).map(([k, v]) => `${k} ${v}`);
    const line = `${bar} ${step}/${this.total} | ${parts.join(' | ')} | ETA ${duration((this.total - step) * secondsPerStep)}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(line + '\n');
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    process.stderr.write(this.tty ? `\r\x1b[2K${line}\n` : line + '\n');
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
