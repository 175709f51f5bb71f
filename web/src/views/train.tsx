// Train in the tab: a small model on pasted or dropped text, with live training and validation
// loss curves; the result replaces the open model (every view works on it) and downloads as a
// checkpoint folder that `glasslm --model DIR` loads.

import { useMemo, useState } from 'preact/hooks';
import type { ModelInfo, TrainParams, TrainProgress } from '../protocol';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, NumberInput } from '../ui';
import type { ViewProps } from './types';

const SAMPLE = 'the cat sat on the mat. the dog sat on the log. the cat saw the dog. the dog saw the cat. '.repeat(40);

export function TrainView({ client, onModel }: ViewProps) {
  const [p, setP] = useState<TrainParams>({ text: SAMPLE, tokenizer: 'char', vocabSize: 512, layers: 2, heads: 2, dim: 32, contextLength: 32, steps: 300, batchSize: 8, lr: 3e-3, evalInterval: 25, seed: 1 });
  const [points, setPoints] = useState<TrainProgress[]>([]);
  const [info, setInfo] = useState('');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [trained, setTrained] = useState<ModelInfo | null>(null);
  const set = <K extends keyof TrainParams>(k: K) => (v: TrainParams[K]) => setP({ ...p, [k]: v });
  const start = async () => {
    setPoints([]); setError(null); setRunning(true); setTrained(null);
    const got: TrainProgress[] = [];
    try {
      const m = await client.request('train', p, (d) => {
        const x = d as TrainProgress & { info?: string };
        if (x.info) setInfo(x.info);
        else { got.push(x); setPoints([...got]); }
      });
      setTrained(m);
      onModel(m);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };
  const download = async () => {
    try {
      const files = await client.request('checkpoint', {});
      for (const f of files) {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([f.bytes as BlobPart]));
        a.download = f.name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      }
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const drop = async (e: DragEvent) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f) setP({ ...p, text: await f.text() });
  };
  const opts = useMemo(() => {
    const rows = [...points.map((q) => ({ step: q.step, loss: q.loss, kind: 'training' })), ...points.filter((q) => q.val !== undefined).map((q) => ({ step: q.step, loss: q.val!, kind: 'validation' }))];
    return {
      width: 640, height: 280, x: { label: 'step', domain: [0, p.steps] }, y: { label: 'loss (nats per token)', grid: true },
      color: { domain: ['training', 'validation'], range: ['#a0aec0', '#dd6b20'], legend: true },
      marks: [Plot.line(rows, { x: 'step', y: 'loss', stroke: 'kind', marker: 'circle' }), Plot.dot(rows.filter((r) => r.kind === 'validation'), { x: 'step', y: 'loss', fill: 'kind', tip: true })],
    } as Plot.PlotOptions;
  }, [points]);
  const vals = points.filter((q) => q.val !== undefined);
  return (
    <section>
      <h2>Train in this tab</h2>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); if (!running) start(); }}>
        <Field label="training text (paste, or drop a .txt file here)" wide>
          <textarea name="text" rows={4} value={p.text} onInput={(e) => set('text')((e.target as HTMLTextAreaElement).value)} onDrop={drop} onDragOver={(e) => e.preventDefault()} />
        </Field>
        <Field label="tokens"><select name="tokenizer" value={p.tokenizer} onChange={(e) => set('tokenizer')((e.target as HTMLSelectElement).value as 'char' | 'bpe')}><option value="char">characters</option><option value="bpe">byte-level BPE</option></select></Field>
        {p.tokenizer === 'bpe' && <Field label="BPE vocabulary"><NumberInput name="vocab" value={p.vocabSize} min={260} onInput={set('vocabSize')} /></Field>}
        <Field label="layers"><NumberInput name="layers" value={p.layers} min={1} onInput={set('layers')} /></Field>
        <Field label="heads"><NumberInput name="heads" value={p.heads} min={1} onInput={set('heads')} /></Field>
        <Field label="width"><NumberInput name="dim" value={p.dim} min={8} step={8} onInput={set('dim')} /></Field>
        <Field label="context"><NumberInput name="context" value={p.contextLength} min={4} onInput={set('contextLength')} /></Field>
        <Field label="steps"><NumberInput name="steps" value={p.steps} min={1} onInput={set('steps')} /></Field>
        <Field label="batch"><NumberInput name="batch" value={p.batchSize} min={1} onInput={set('batchSize')} /></Field>
        <Field label="learning rate"><NumberInput name="lr" value={p.lr} step={0.0005} min={0} onInput={set('lr')} /></Field>
        <div class="buttons">
          <button type="submit" name="train" disabled={running}>Train</button>
          <button type="button" name="stop" disabled={!running} onClick={() => client.stop()}>Stop</button>
          <button type="button" name="download" disabled={!trained || running} onClick={download}>Download checkpoint</button>
        </div>
      </form>
      <ErrorBox message={error} />
      {info && <p class="stats">{info}</p>}
      <p class="stats" data-testid="train-stats">{points.length ? `step ${points[points.length - 1].step} of ${p.steps}, training loss ${points[points.length - 1].loss.toFixed(3)}${vals.length ? `, validation ${vals[0].val!.toFixed(3)} → ${vals[vals.length - 1].val!.toFixed(3)}` : ''}, ${points[points.length - 1].tokensPerSecond.toFixed(0)} tokens/s` : ''}</p>
      {points.length > 0 && <PlotFigure options={opts} label="training and validation loss" />}
      {trained && <p class="hint" data-testid="trained">The trained model is now open in every view. The download is a checkpoint folder (config.json, model.safetensors, tokenizer.json, and train-state.safetensors to resume training): put the files in one folder and run <code>glasslm generate --model FOLDER</code>.</p>}
    </section>
  );
}
