// Attention: one head's pattern as a heatmap and as lines between tokens; every head of a layer
// as small multiples; for a chosen query position the query/key/value story in numbers
// (inspect.queryKeyValues); and head-type scores (previous token, first token, induction).

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import type { Requests } from '../protocol';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, fmt, posLabel, useJob } from '../ui';
import type { ViewProps } from './types';

type Attn = Requests['attention']['result'];
const blues = { type: 'linear', domain: [0, 1], range: ['#ffffff', '#2b6cb0'] } as const;

function heatmap(a: Attn, layer: number, head: number): Plot.PlotOptions {
  const labels = posLabel(a.tokens!);
  const data = a.patterns[layer][head].flatMap((row, q) => row.slice(0, q + 1).map((w, k) => ({ q: labels[q], k: labels[k], w })));
  return {
    width: Math.max(360, 120 + labels.length * 26), height: Math.max(300, 100 + labels.length * 22), marginLeft: 110, marginBottom: 90,
    x: { domain: labels, label: 'key (attended to)', tickRotate: -45 }, y: { domain: labels, label: 'query' },
    color: { ...blues, legend: true, label: 'attention weight' },
    marks: [Plot.cell(data, { x: 'k', y: 'q', fill: 'w', inset: 0.5, tip: true })],
  };
}

function lines(a: Attn, layer: number, head: number): Plot.PlotOptions {
  const labels = posLabel(a.tokens!);
  const data = a.patterns[layer][head].flatMap((row, q) => row.slice(0, q + 1).map((w, k) => ({ q, k, w }))).filter((d) => d.w > 0.02);
  const side = labels.map((l, i) => ({ i, l }));
  return {
    width: 380, height: 40 + labels.length * 20, marginLeft: 115, marginRight: 115, axis: null,
    x: { domain: [0, 1] }, y: { domain: [labels.length - 0.5, -0.5] },
    marks: [
      Plot.link(data, { x1: 0, y1: 'k', x2: 1, y2: 'q', stroke: '#2b6cb0', strokeOpacity: 'w', strokeWidth: (d: { w: number }) => 0.5 + 3 * d.w }),
      Plot.text(side, { x: 0, y: 'i', text: 'l', textAnchor: 'end', dx: -6 }),
      Plot.text(side, { x: 1, y: 'i', text: 'l', textAnchor: 'start', dx: 6 }),
    ],
  };
}

function multiples(a: Attn, layer: number): Plot.PlotOptions {
  const T = a.ids.length;
  const data = a.patterns[layer].flatMap((h, head) => h.flatMap((row, q) => row.slice(0, q + 1).map((w, k) => ({ head: `head ${head}`, q, k, w }))));
  return {
    width: Math.min(1200, 40 + a.heads * Math.max(90, T * 6)), height: 40 + Math.max(90, T * 6), marginLeft: 10,
    x: { axis: null, domain: [...Array(T).keys()] }, y: { axis: null, domain: [...Array(T).keys()] }, fx: { label: null },
    color: blues,
    marks: [Plot.cell(data, { fx: 'head', x: 'k', y: 'q', fill: 'w' }), Plot.frame({ stroke: '#ccc' })],
  };
}

function headTypes(a: Attn): Plot.PlotOptions {
  const rows = [
    ...a.headTypes.previousToken.flatMap((r, l) => r.map((v, h) => ({ kind: 'previous token', layer: `L${l}`, head: h, v }))),
    ...a.headTypes.firstToken.flatMap((r, l) => r.map((v, h) => ({ kind: 'first token', layer: `L${l}`, head: h, v }))),
    ...a.induction.flatMap((r, l) => r.map((v, h) => ({ kind: 'induction', layer: `L${l}`, head: h, v }))),
  ];
  return {
    width: Math.min(1100, 120 + 3 * a.heads * 34), height: 60 + a.layers * 26, marginLeft: 40,
    fx: { label: null }, x: { label: 'head', domain: [...Array(a.heads).keys()] }, y: { label: null, domain: [...Array(a.layers).keys()].map((l) => `L${l}`) },
    color: { ...blues, legend: true, label: 'score' },
    marks: [Plot.cell(rows, { fx: 'kind', x: 'head', y: 'layer', fill: 'v', inset: 0.5, tip: true }), Plot.text(rows, { fx: 'kind', x: 'head', y: 'layer', text: (d: { v: number }) => d.v.toFixed(2), fontSize: 9, fill: (d: { v: number }) => (d.v > 0.55 ? 'white' : 'black') })],
  };
}

export function AttentionView({ client, text, setText, info }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [attn, setAttn] = useState<Attn | null>(null);
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(0);
  const [query, setQuery] = useState(-1);
  const [qkv, setQkv] = useState<inspect.QueryKeyValues | null>(null);
  const [run, busy, error] = useJob();
  const [runQ, , errorQ] = useJob();
  const go = () => run(async () => { setText(prompt); const a = await client.request('attention', { prompt }); setAttn(a); setQuery(a.ids.length - 1); });
  useEffect(() => { go(); }, []);
  useEffect(() => {
    if (!attn || query < 0) return;
    runQ(async () => setQkv(await client.request('qkv', { prompt, layer, head, query: Math.min(query, attn.ids.length - 1) })));
  }, [attn, layer, head, query]);
  const hm = useMemo(() => attn && heatmap(attn, layer, head), [attn, layer, head]);
  const ln = useMemo(() => attn && lines(attn, layer, head), [attn, layer, head]);
  const sm = useMemo(() => attn && multiples(attn, layer), [attn, layer]);
  const ht = useMemo(() => attn && headTypes(attn), [attn]);
  const labels = attn ? posLabel(attn.tokens!) : [];
  const qkvBars = useMemo(() => qkv && attn ? {
    width: 480, height: 40 + qkv.weights.length * 20, marginLeft: 100, x: { label: 'softmax weight', domain: [0, 1] }, y: { label: null, domain: labels.slice(0, qkv.query + 1) },
    marks: [Plot.barX(qkv.weights.map((w, k) => ({ k: labels[k], w })), { x: 'w', y: 'k', fill: '#2b6cb0', tip: true }), Plot.ruleX([0])],
  } as Plot.PlotOptions : null, [qkv]);
  return (
    <section>
      <h2>Attention</h2>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="text" wide><textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        <Field label="layer"><select name="layer" value={layer} onChange={(e) => setLayer(Number((e.target as HTMLSelectElement).value))}>{[...Array(info.layers).keys()].map((l) => <option key={l} value={l}>{l}</option>)}</select></Field>
        <Field label="head"><select name="head" value={head} onChange={(e) => setHead(Number((e.target as HTMLSelectElement).value))}>{[...Array(info.heads).keys()].map((h) => <option key={h} value={h}>{h}</option>)}</select></Field>
        <RunButton busy={busy} onClick={go}>Show</RunButton>
      </form>
      <ErrorBox message={error} />
      {attn && hm && ln && sm && ht && (
        <>
          <div class="row">
            <div class="scroll" data-testid="attn-heatmap"><h3>Layer {layer}, head {head}</h3><PlotFigure options={hm} label={`attention pattern, layer ${layer} head ${head}`} /></div>
            <div data-testid="attn-lines"><h3>As lines (key → query)</h3><PlotFigure options={ln} label="attention as lines between tokens" /></div>
          </div>
          <Numbers testid="attn-table" head={['query', ...labels]} rows={attn.patterns[layer][head].map((row, q) => [labels[q], ...row])} />
          <h3>All heads of layer {layer}</h3>
          <div class="scroll"><PlotFigure options={sm} label={`all heads of layer ${layer}`} /></div>
          <h3>Query, keys and values at one position</h3>
          <Field label="query position"><select name="query" value={query} onChange={(e) => setQuery(Number((e.target as HTMLSelectElement).value))}>{labels.map((l, i) => <option key={i} value={i}>{l}</option>)}</select></Field>
          <ErrorBox message={errorQ} />
          {qkv && qkvBars && (
            <div class="row">
              <div>
                <p class="hint">score = q·k / √{qkv.q.length} (scale {fmt(qkv.scale)}); weight = softmax(score); output = Σ weight · v{attn.heads !== info.kv_heads && info.kv_heads ? ` (key/value head ${qkv.kvHead})` : ''}</p>
                <PlotFigure options={qkvBars} label="softmax weights of each key" />
              </div>
              <div class="scroll">
                <table data-testid="qkv-table" class="small">
                  <thead><tr><th>key</th><th>q·k/√d</th><th>weight</th><th>k (first 4)</th><th>v (first 4)</th></tr></thead>
                  <tbody>{qkv.scores.map((s, k) => <tr key={k}><td>{labels[k]}</td><td>{fmt(s)}</td><td>{fmt(qkv.weights[k])}</td><td>{qkv.keys[k].slice(0, 4).map(fmt).join(' ')}</td><td>{qkv.values[k].slice(0, 4).map(fmt).join(' ')}</td></tr>)}</tbody>
                </table>
                <p class="vec">q = [{qkv.q.slice(0, 8).map(fmt).join(', ')}{qkv.q.length > 8 ? ', …' : ''}]</p>
                <p class="vec">output = [{qkv.output.slice(0, 8).map(fmt).join(', ')}{qkv.output.length > 8 ? ', …' : ''}]</p>
              </div>
            </div>
          )}
          <h3>Head types</h3>
          <p class="hint">Previous token and first token: mean attention on this text. Induction: on a random sequence repeated twice, attention from a token's second copy to what followed its first.</p>
          <div class="scroll"><PlotFigure options={ht} label="head-type scores" /></div>
        </>
      )}
    </section>
  );
}
