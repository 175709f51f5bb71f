// Logit lens: positions × layers; each cell is the top next token read from that layer's residual
// stream (inspect.logitLens), coloured by its probability, with the top 5 on hover.

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, posLabel, show, useJob } from '../ui';
import type { ViewProps } from './types';

export const layerLabel = (name: string) => name.replace('blocks.', 'L').replace('.hook_resid_pre', ' in').replace('.hook_resid_post', ' out');

export function LensView({ client, text, setText }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [lens, setLens] = useState<inspect.LensResult | null>(null);
  const [run, busy, error] = useJob();
  const go = () => run(async () => { setText(prompt); setLens(await client.request('lens', { prompt, k: 5 })); });
  useEffect(() => { go(); }, []);
  const options = useMemo(() => {
    if (!lens) return null;
    const cols = posLabel(lens.tokens!);
    const rows = lens.layers.map(layerLabel);
    const data = lens.cells.flatMap((row, l) => row.map((c, t) => ({
      layer: rows[l], position: cols[t], p: c.probs[0], top: show(c.tokens![0]),
      top5: c.tokens!.map((tok, i) => `${JSON.stringify(tok)} ${c.probs[i].toFixed(3)}`).join('\n'),
    })));
    return {
      width: Math.max(640, 60 + cols.length * 46), height: 40 + rows.length * 28, marginLeft: 80, marginBottom: 80,
      x: { domain: cols, label: null, tickRotate: -40 }, y: { domain: [...rows].reverse(), label: null },
      color: { type: 'linear', domain: [0, 1], range: ['#ffffff', '#2b6cb0'], legend: true, label: 'probability of the top token' },
      marks: [
        Plot.cell(data, { x: 'position', y: 'layer', fill: 'p', inset: 0.5 }),
        Plot.text(data, { x: 'position', y: 'layer', text: (d: { top: string }) => d.top.slice(0, 7), fill: (d: { p: number }) => (d.p > 0.55 ? 'white' : 'black'), fontSize: 10 }),
        Plot.tip(data, Plot.pointer({ x: 'position', y: 'layer', title: (d: { layer: string; position: string; top5: string }) => `${d.layer} at ${d.position}\n${d.top5}` })),
      ],
    } as Plot.PlotOptions;
  }, [lens]);
  return (
    <section>
      <h2>Logit lens</h2>
      <p class="hint">Each layer's residual stream read through the final norm and the unembedding, as if the model stopped there: the guess sharpens with depth. Rows: the input to each block, then the last block's output (the model's own prediction).</p>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="text (the prompt, or prompt + generated text)" wide><textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        <RunButton busy={busy} onClick={go}>Show</RunButton>
      </form>
      <ErrorBox message={error} />
      {options && <div class="scroll" data-testid="lens"><PlotFigure options={options} label="logit lens grid" /></div>}
      {lens && <Numbers testid="lens-table" head={['layer', ...posLabel(lens.tokens!)]}
        rows={lens.cells.map((row, l) => [layerLabel(lens.layers[l]), ...row.map((c) => `${JSON.stringify(c.tokens![0])} ${c.probs[0].toFixed(4)}`)])} />}
    </section>
  );
}
