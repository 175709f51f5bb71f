// Patching: run the corrupted prompt while restoring one activation from the clean run; the
// heatmaps show how much of the clean logit difference comes back (inspect.activationPatching).

import { useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, TextInput, fmt, posLabel, useJob } from '../ui';
import type { ViewProps } from './types';

const diverging = { type: 'linear', domain: [-1, 1], scheme: 'RdBu', legend: true, label: 'fraction of the logit difference restored' } as const;

export function PatchingView({ client }: ViewProps) {
  const [clean, setClean] = useState('Tom has a red ball. His ball is');
  const [corrupted, setCorrupted] = useState('Tom has a blue ball. His ball is');
  const [answer, setAnswer] = useState(' red');
  const [wrong, setWrong] = useState(' blue');
  const [result, setResult] = useState<inspect.PatchingResult | null>(null);
  const [run, busy, error] = useJob();
  const go = () => run(async () => setResult(await client.request('patch', { clean, corrupted, answer, wrong })));
  const resid = useMemo(() => {
    if (!result) return null;
    const cols = posLabel(result.cleanTokens!);
    const data = result.resid.flatMap((row, l) => row.map((v, t) => ({ layer: `L${l}`, pos: cols[t], v })));
    return {
      width: Math.max(480, 80 + cols.length * 40), height: 60 + result.resid.length * 26, marginBottom: 80, marginLeft: 80,
      x: { domain: cols, label: null, tickRotate: -40 }, y: { label: null, domain: result.resid.map((_, l) => `L${l}`).reverse() }, color: diverging,
      marks: [Plot.cell(data, { x: 'pos', y: 'layer', fill: 'v', inset: 0.5, tip: true }), Plot.text(data, { x: 'pos', y: 'layer', text: (d: { v: number }) => d.v.toFixed(2), fontSize: 9, fill: (d: { v: number }) => (Math.abs(d.v) > 0.6 ? 'white' : 'black') })],
    } as Plot.PlotOptions;
  }, [result]);
  const heads = useMemo(() => {
    if (!result) return null;
    const data = result.heads.flatMap((row, l) => row.map((v, h) => ({ layer: `L${l}`, head: h, v })));
    return {
      width: 80 + result.heads[0].length * 44, height: 60 + result.heads.length * 26, marginLeft: 40,
      x: { label: 'head' }, y: { label: null, domain: result.heads.map((_, l) => `L${l}`).reverse() }, color: diverging,
      marks: [Plot.cell(data, { x: 'head', y: 'layer', fill: 'v', inset: 0.5, tip: true }), Plot.text(data, { x: 'head', y: 'layer', text: (d: { v: number }) => d.v.toFixed(2), fontSize: 9 })],
    } as Plot.PlotOptions;
  }, [result]);
  return (
    <section>
      <h2>Patching</h2>
      <p class="hint">Two prompts of the same length in tokens. Each cell: run the corrupted prompt with one activation copied from the clean run; 1 = the clean answer fully restored.</p>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="clean prompt" wide><TextInput name="clean" value={clean} onInput={setClean} /></Field>
        <Field label="corrupted prompt" wide><TextInput name="corrupted" value={corrupted} onInput={setCorrupted} /></Field>
        <Field label="answer token (default: clean top)"><TextInput name="answer" value={answer} onInput={setAnswer} /></Field>
        <Field label="wrong token (default: corrupted top)"><TextInput name="wrong" value={wrong} onInput={setWrong} /></Field>
        <RunButton busy={busy} onClick={go}>Patch</RunButton>
      </form>
      <ErrorBox message={error} />
      {result && resid && heads && (
        <>
          <p class="stats">logit difference #{result.answer} − #{result.wrong}: clean {fmt(result.cleanDiff)}, corrupted {fmt(result.corruptedDiff)}</p>
          <h3>Residual stream (layer × position)</h3>
          <div class="scroll" data-testid="patch-resid"><PlotFigure options={resid} label="patching the residual stream" /></div>
          <h3>Attention heads (every position)</h3>
          <div class="scroll"><PlotFigure options={heads} label="patching each head" /></div>
          <Numbers testid="patch-table" head={['layer', ...posLabel(result.cleanTokens!)]} rows={result.resid.map((r, l) => [`L${l}`, ...r])} />
        </>
      )}
    </section>
  );
}
