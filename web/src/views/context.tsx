// Context and cost: how full the context window is, and how attention's query-key work grows
// with the prompt (inspect.attentionCost: T·(T+1)/2 products per head per layer).

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, RunButton, useJob } from '../ui';
import type { ViewProps } from './types';

export function ContextView({ client, text }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [cost, setCost] = useState<inspect.AttentionCost | null>(null);
  const [run, busy, error] = useJob();
  const go = () => run(async () => setCost(await client.request('cost', { prompt })));
  useEffect(() => { go(); }, []);
  const opts = useMemo(() => cost && ({
    width: 640, height: 300, marginLeft: 80, x: { label: 'prompt length (tokens)', domain: [0, cost.contextLength] }, y: { label: 'query-key products per layer', grid: true },
    marks: [
      Plot.line(cost.curve, { x: 'tokens', y: 'qkProductsPerLayer', stroke: '#2b6cb0', tip: true }),
      Plot.ruleX([cost.tokens], { stroke: '#dd6b20' }), Plot.ruleX([cost.contextLength], { stroke: '#c53030', strokeDasharray: '4 3' }),
      Plot.text([{ x: cost.tokens, t: 'this prompt' }, { x: cost.contextLength, t: 'context limit' }], { x: 'x', text: 't', frameAnchor: 'top', dy: 8, textAnchor: 'end', dx: -4 }),
    ],
  } as Plot.PlotOptions), [cost]);
  return (
    <section>
      <h2>Context and cost</h2>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="text" wide><textarea name="prompt" rows={3} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        <RunButton busy={busy} onClick={go}>Measure</RunButton>
      </form>
      <ErrorBox message={error} />
      {cost && opts && (
        <>
          <p><meter min={0} max={1} value={cost.fill} aria-label="context window use" /> {cost.tokens} of {cost.contextLength} tokens ({(100 * cost.fill).toFixed(1)}%); {cost.remaining} left for generation</p>
          <p class="stats" data-testid="cost-now">now: {cost.now.qkProductsPerLayer.toLocaleString('en-US')} query-key products per layer ({cost.heads} heads × {cost.tokens}·{cost.tokens + 1}/2), {cost.now.qkMultiplyAddsPerLayer.toLocaleString('en-US')} multiply-adds per layer, KV cache {(cost.now.kvCacheBytes / 1024).toFixed(1)} KiB</p>
          <PlotFigure options={opts} label="attention cost by prompt length" />
          <p class="hint">At the limit: {cost.atLimit}.</p>
        </>
      )}
    </section>
  );
}
