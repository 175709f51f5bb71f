// SVG drawings built as strings (no dependencies): heatmaps, bar charts, scatter plots.

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A colour for v: 'unit' white → dark blue over [0, 1]; 'signed' blue ← white → red over [−1, 1]. */
export function colour(v: number, scale: 'unit' | 'signed'): string {
  const x = Number.isFinite(v) ? v : 0;
  if (scale === 'unit') {
    const t = Math.max(0, Math.min(1, x));
    return `rgb(${Math.round(255 - 227 * t)},${Math.round(255 - 189 * t)},${Math.round(255 - 123 * t)})`;
  }
  const t = Math.max(-1, Math.min(1, x));
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

export interface HeatmapSpec {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  /** values[row][col]; already scaled to [0, 1] ('unit') or [−1, 1] ('signed'). */
  values: number[][];
  /** Text drawn in each cell (optional). */
  text?: string[][];
  /** Hover text per cell (optional). */
  tooltips?: string[][];
  scale?: 'unit' | 'signed';
  cell?: number;
}

export function heatmapSvg(s: HeatmapSpec): string {
  const cell = s.cell ?? (s.text ? 56 : 22), ch = s.text ? 26 : cell;
  const left = 8 + 7 * Math.max(4, ...s.rowLabels.map((l) => l.length)), top = 40 + 6 * Math.min(16, Math.max(2, ...s.colLabels.map((l) => l.length)));
  const W = left + cell * s.colLabels.length + 10, H = top + ch * s.rowLabels.length + 10;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="11">`,
    `<text x="4" y="16" font-size="13" font-weight="bold">${esc(s.title)}</text>`];
  s.colLabels.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    out.push(`<text transform="translate(${x},${top - 4}) rotate(-60)">${esc(c.slice(0, 16))}</text>`);
  });
  s.rowLabels.forEach((r, i) => {
    const y = top + i * ch;
    out.push(`<text x="${left - 4}" y="${y + ch / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    s.values[i].forEach((v, j) => {
      const tip = s.tooltips?.[i]?.[j];
      out.push(`<rect x="${left + j * cell}" y="${y}" width="${cell - 1}" height="${ch - 1}" fill="${colour(v, s.scale ?? 'unit')}">${tip ? `<title>${esc(tip)}</title>` : ''}</rect>`);
      const t = s.text?.[i]?.[j];
      if (t) out.push(`<text x="${left + j * cell + cell / 2}" y="${y + ch / 2 + 4}" text-anchor="middle" fill="${(s.scale ?? 'unit') === 'unit' && v > 0.55 ? 'white' : 'black'}">${esc(t.slice(0, 7))}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}

export function barChartSvg(title: string, items: readonly { label: string; value: number }[]): string {
  const rowH = 16, lw = 8 + 7 * Math.max(4, ...items.map((i) => i.label.length)), bw = 320;
  const max = Math.max(...items.map((i) => Math.abs(i.value)), 1e-12);
  const zero = lw + (items.some((i) => i.value < 0) ? bw / 2 : 0), scale = (items.some((i) => i.value < 0) ? bw / 2 : bw) / max;
  const W = lw + bw + 80, H = 30 + rowH * items.length + 10;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="11">`,
    `<text x="4" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${zero}" y1="24" x2="${zero}" y2="${H - 6}" stroke="#888"/>`];
  items.forEach((it, i) => {
    const y = 28 + i * rowH, w = Math.abs(it.value) * scale;
    out.push(`<text x="${lw - 4}" y="${y + 11}" text-anchor="end">${esc(it.label)}</text>`);
    out.push(`<rect x="${it.value >= 0 ? zero : zero - w}" y="${y + 2}" width="${w}" height="${rowH - 4}" fill="${it.value >= 0 ? '#c0392b' : '#2e5fa8'}"><title>${esc(`${it.label}: ${it.value}`)}</title></rect>`);
    out.push(`<text x="${lw + bw + 4}" y="${y + 11}">${it.value.toFixed(3)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export function scatterSvg(title: string, points: readonly [number, number][], labels: readonly string[]): string {
  const W = 520, H = 420, pad = 40;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (y: number) => H - pad - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="11">`,
    `<text x="4" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${pad / 2}" y="${pad / 2}" width="${W - pad}" height="${H - pad}" fill="none" stroke="#ccc"/>`];
  points.forEach(([x, y], i) => {
    out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="4" fill="#2e5fa8"/>`);
    out.push(`<text x="${(sx(x) + 6).toFixed(1)}" y="${(sy(y) + 4).toFixed(1)}">${esc(labels[i].slice(0, 40))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
