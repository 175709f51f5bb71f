// Observable Plot inside Preact: a figure re-drawn when its options change. Every chart in the
// page is a Plot mark (cell, barX, line, link, dot, text); nothing is drawn by hand.

import * as Plot from '@observablehq/plot';
import { useEffect, useRef } from 'preact/hooks';

export { Plot };

export function PlotFigure({ options, label }: { options: Plot.PlotOptions; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fig = Plot.plot({ style: { fontSize: '12px', background: 'transparent' }, ...options });
    fig.setAttribute('aria-label', label);
    el.replaceChildren(fig);
    return () => fig.remove();
  }, [options, label]);
  return <div class="plot" ref={ref} role="figure" aria-label={label} />;
}

/** The page's probability colour scale (0 … 1), from Plot's own scales, for HTML elements. */
export const probabilityColor = (() => {
  const scale = Plot.scale({ color: { type: 'linear', domain: [0, 1], range: ['#ffffff', '#2b6cb0'] } });
  return (p: number) => String(scale.apply(Math.max(0, Math.min(1, p))));
})();
