// The loss curve as a standalone SVG: training loss (thin) and validation loss (thick) by step.

import type { LossRecord } from './checkpoint.js';

function polyline(points: [number, number][], color: string, width: number): string {
  if (points.length === 0) return '';
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`;
}

export function lossCurveSvg(history: readonly LossRecord[], title = 'loss'): string {
  const W = 640, H = 360, left = 56, right = 16, top = 32, bottom = 40;
  const train = history.filter((r) => r.train !== undefined).map((r) => [r.step, r.train!] as [number, number]);
  const val = history.filter((r) => r.val !== undefined).map((r) => [r.step, r.val!] as [number, number]);
  const all = [...train, ...val];
  const maxStep = Math.max(1, ...all.map(([s]) => s));
  const ys = all.map(([, l]) => l);
  const lo = ys.length ? Math.min(...ys) : 0, hi = ys.length ? Math.max(...ys) : 1;
  const span = hi - lo || 1;
  const x = (s: number) => left + (s / maxStep) * (W - left - right);
  const y = (l: number) => top + (1 - (l - lo) / span) * (H - top - bottom);
  const ticks = Array.from({ length: 5 }, (_, i) => lo + (span * i) / 4);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${title}</text>`,
    ...ticks.map((t) => `<line x1="${left}" x2="${W - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/><text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t.toFixed(2)}</text>`),
    `<text x="${(W + left) / 2}" y="${H - 8}" text-anchor="middle">step (of ${maxStep})</text>`,
    polyline(train.map(([s, l]) => [x(s), y(l)]), '#6b9bd1', 1),
    polyline(val.map(([s, l]) => [x(s), y(l)]), '#d1495b', 2.5),
    `<text x="${W - right}" y="20" text-anchor="end"><tspan fill="#6b9bd1">train</tspan>  <tspan fill="#d1495b">validation</tspan></text>`,
    '</svg>',
  ].join('\n');
}
