// Neurons: the most active MLP neurons at a position (inspect.topNeurons), and one neuron's
// activation over the whole text (inspect.neuronTrace).

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, posLabel, useJob } from '../ui';
import type { ViewProps } from './types';

export function NeuronsView({ client, text, setText }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [position, setPosition] = useState(-1);
  const [top, setTop] = useState<inspect.TopNeuronsResult | null>(null);
  const [trace, setTrace] = useState<inspect.NeuronTrace | null>(null);
  const [run, busy, error] = useJob();
  const go = (pos = position) => run(async () => {
    setText(prompt);
    const t = await client.request('neurons', { prompt, position: pos < 0 ? undefined : pos, k: 15 });
    setTop(t);
    setTrace(await client.request('neuronTrace', { prompt, layer: t.neurons[0].layer, neuron: t.neurons[0].neuron }));
  });
  useEffect(() => { go(); }, []);
  const pick = (layer: number, neuron: number) => run(async () => setTrace(await client.request('neuronTrace', { prompt, layer, neuron })));
  const labels = top ? posLabel(top.tokens!) : [];
  const bars = useMemo(() => top && ({
    width: 520, height: 40 + top.neurons.length * 18, marginLeft: 90, x: { label: 'activation', grid: true }, y: { label: null, domain: top.neurons.map((n) => `L${n.layer} #${n.neuron}`) },
    marks: [Plot.barX(top.neurons, { x: 'value', y: (n: inspect.NeuronActivation) => `L${n.layer} #${n.neuron}`, fill: '#dd6b20', tip: true }), Plot.ruleX([0])],
  } as Plot.PlotOptions), [top]);
  const traceOpts = useMemo(() => trace && ({
    width: Math.max(480, 60 + trace.activations.length * 30), height: 260, marginBottom: 70,
    x: { domain: posLabel(trace.tokens!), label: null, tickRotate: -40 }, y: { label: `L${trace.layer} neuron ${trace.neuron}`, grid: true },
    marks: [Plot.barY(trace.activations.map((v, t) => ({ t: posLabel(trace.tokens!)[t], v })), { x: 't', y: 'v', fill: (d: { v: number }) => (d.v >= 0 ? '#dd6b20' : '#a0aec0'), tip: true }), Plot.ruleY([0])],
  } as Plot.PlotOptions), [trace]);
  return (
    <section>
      <h2>Neurons</h2>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="text" wide><textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        {top && <Field label="position"><select name="position" value={top.position} onChange={(e) => { const p = Number((e.target as HTMLSelectElement).value); setPosition(p); go(p); }}>{labels.map((l, i) => <option key={i} value={i}>{l}</option>)}</select></Field>}
        <RunButton busy={busy} onClick={() => go()}>Show</RunButton>
      </form>
      <ErrorBox message={error} />
      {top && bars && (
        <div class="row">
          <div><h3>Most active at {labels[top.position]}</h3><PlotFigure options={bars} label="most active neurons" />
            <Numbers testid="neurons-table" head={['neuron', 'activation', '']} rows={top.neurons.map((n) => [`L${n.layer} #${n.neuron}`, n.value, ''])} />
            <p class="hint">Pick one to see it over the text:</p>
            <div class="chips">{top.neurons.slice(0, 8).map((n) => <button type="button" key={`${n.layer}-${n.neuron}`} onClick={() => pick(n.layer, n.neuron)}>L{n.layer} #{n.neuron}</button>)}</div>
          </div>
          {traceOpts && <div class="scroll"><h3>Layer {trace!.layer}, neuron {trace!.neuron} over the text</h3><PlotFigure options={traceOpts} label="one neuron over the text" /></div>}
        </div>
      )}
    </section>
  );
}
