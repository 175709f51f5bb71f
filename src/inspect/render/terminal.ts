// Terminal forms: grids shaded with ANSI 256-colour backgrounds, and unicode bar charts.

/** Pads or cuts text to exactly width columns (control characters shown escaped). */
export function fit(text: string, width: number): string {
  const clean = JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"');
  const chars = [...clean];
  return chars.length > width ? chars.slice(0, width - 1).join('') + '…' : clean + ' '.repeat(width - chars.length);
}

/** ANSI 256-colour background for v in [0, 1]: the 24-step grey ramp, dark to light, with dark or light text. */
export function shade(text: string, v: number, color: boolean): string {
  if (!color) return text;
  const x = Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
  const bg = 232 + Math.round(x * 23);
  const fg = x > 0.55 ? 16 : 255;
  return `\x1b[48;5;${bg}m\x1b[38;5;${fg}m${text}\x1b[0m`;
}

/** Diverging background for v in [−1, 1]: blue (negative) … black … red (positive). */
export function shadeSigned(text: string, v: number, color: boolean): string {
  if (!color) return text;
  const x = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const k = Math.round(Math.abs(x) * 5);
  const bg = x >= 0 ? 16 + 36 * k : 16 + k; // the red or the blue axis of the 6×6×6 cube
  return `\x1b[48;5;${bg}m\x1b[38;5;255m${text}\x1b[0m`;
}

export interface GridOptions {
  /** Column width in characters. */
  width?: number;
  color?: boolean;
  /** Shading: 'unit' maps [0, 1]; 'signed' maps [−1, 1]. */
  scale?: 'unit' | 'signed';
}

/**
 * A grid of labelled rows of cells, each with text and a value for its shade; rows print in the
 * order given (put the last layer first to have it on top).
 */
export function grid(rowLabels: readonly string[], colLabels: readonly string[], cells: readonly (readonly { text: string; value: number }[])[], opts: GridOptions = {}): string {
  const w = opts.width ?? 8, color = opts.color ?? true;
  const lw = Math.max(...rowLabels.map((l) => l.length), 1);
  const lines = [' '.repeat(lw) + ' ' + colLabels.map((c) => fit(c, w)).join(' ')];
  cells.forEach((row, r) => {
    const paint = opts.scale === 'signed' ? shadeSigned : shade;
    lines.push(rowLabels[r].padStart(lw) + ' ' + row.map((c) => paint(fit(c.text, w), c.value, color)).join(' '));
  });
  return lines.join('\n');
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of |v| / max × width columns, in eighths of a column. */
function bar(v: number, max: number, width: number): string {
  const n = max > 0 ? Math.round((Math.abs(v) / max) * width * 8) : 0;
  return '█'.repeat(Math.floor(n / 8)) + EIGHTHS[n % 8];
}

/** Labelled bars around a zero axis: negatives grow left, positives right. */
export function barChart(items: readonly { label: string; value: number }[], opts: { width?: number; digits?: number } = {}): string {
  const width = opts.width ?? 30, digits = opts.digits ?? 3;
  const max = Math.max(...items.map((i) => Math.abs(i.value)), 0);
  const lw = Math.max(...items.map((i) => i.label.length), 1);
  const anyNeg = items.some((i) => i.value < 0);
  return items.map((i) => {
    const b = bar(i.value, max, width);
    const left = anyNeg ? (i.value < 0 ? b.padStart(width) : ' '.repeat(width)) + '│' : '';
    const right = i.value >= 0 ? b : '';
    return `${i.label.padStart(lw)} ${i.value.toFixed(digits).padStart(digits + 6)} ${left}${right}`;
  }).join('\n');
}
