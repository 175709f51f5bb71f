// Word vectors in the model's own embeddings: nearest tokens, analogies (a − b + c), one word in
// two sentences compared layer by layer, and a 2-D PCA projection of chosen words.

import { useMemo, useState } from 'preact/hooks';
import type { inspect } from 'glasslm';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, TextInput, show, useJob } from '../ui';
import type { ViewProps } from './types';
import { Word2VecCard } from './word2vec';

export function VectorsView({ client }: ViewProps) {
  const [word, setWord] = useState(' dog');
  const [nearest, setNearest] = useState<inspect.NearestTokens | null>(null);
  const [abc, setAbc] = useState<[string, string, string]>([' king', ' man', ' woman']);
  const [analogy, setAnalogy] = useState<inspect.TokenAnalogy | null>(null);
  const [s1, setS1] = useState('She sat on the bank of the river.');
  const [s2, setS2] = useState('She took money from the bank.');
  const [ctxWord, setCtxWord] = useState('bank');
  const [drift, setDrift] = useState<inspect.ContextualDrift | null>(null);
  const [words, setWords] = useState(' cat, dog, bird, fish, red, blue, green, happy, sad');
  const [proj, setProj] = useState<inspect.TokenProjection | null>(null);
  const [run1, busy1, err1] = useJob();
  const [run2, busy2, err2] = useJob();
  const [run3, busy3, err3] = useJob();
  const [run4, busy4, err4] = useJob();
  const driftOpts = useMemo(() => drift && ({
    width: 480, height: 240, x: { label: 'layer (−1 = embeddings)', ticks: drift.layers, tickFormat: 'd' }, y: { label: 'cosine similarity', domain: [Math.min(0, ...drift.similarity), 1], grid: true },
    marks: [Plot.line(drift.layers.map((l, i) => ({ l, s: drift.similarity[i] })), { x: 'l', y: 's', stroke: '#2b6cb0', marker: 'circle', tip: true }), Plot.ruleY([0])],
  } as Plot.PlotOptions), [drift]);
  const projOpts = useMemo(() => proj && ({
    width: 480, height: 360, inset: 30, x: { label: `PC1 (${(100 * proj.explained[0]).toFixed(0)}%)` }, y: { label: `PC2 (${(100 * proj.explained[1]).toFixed(0)}%)` },
    marks: [Plot.dot(proj.points, { x: '0', y: '1', fill: '#2b6cb0' }), Plot.text(proj.points.map((p, i) => ({ x: p[0], y: p[1], t: show(proj.tokens![i]) })), { x: 'x', y: 'y', text: 't', dy: -10 })],
  } as Plot.PlotOptions), [proj]);
  return (
    <section>
      <h2>Word vectors</h2>
      <p class="hint">In the model's token embeddings (one row per token; a word must be one token: a leading space matters).</p>
      <div class="row">
        <form class="card" noValidate onSubmit={(e) => { e.preventDefault(); run1(async () => setNearest(await client.request('nearest', { word, k: 10 }))); }}>
          <h3>Nearest tokens</h3>
          <Field label="token"><TextInput name="word" value={word} onInput={setWord} /></Field>
          <RunButton busy={busy1} onClick={() => run1(async () => setNearest(await client.request('nearest', { word, k: 10 })))}>Find</RunButton>
          <ErrorBox message={err1} />
          {nearest && <Numbers open testid="nearest-table" head={['token', 'cosine']} rows={nearest.neighbours.map((n) => [show(n.token ?? `#${n.id}`), n.score])} />}
        </form>
        <form class="card" noValidate onSubmit={(e) => e.preventDefault()}>
          <h3>Analogy: a − b + c</h3>
          <Field label="a"><TextInput name="a" value={abc[0]} onInput={(v) => setAbc([v, abc[1], abc[2]])} /></Field>
          <Field label="b"><TextInput name="b" value={abc[1]} onInput={(v) => setAbc([abc[0], v, abc[2]])} /></Field>
          <Field label="c"><TextInput name="c" value={abc[2]} onInput={(v) => setAbc([abc[0], abc[1], v])} /></Field>
          <RunButton busy={busy2} onClick={() => run2(async () => setAnalogy(await client.request('analogy', { a: abc[0], b: abc[1], c: abc[2], k: 8 })))}>Find</RunButton>
          <ErrorBox message={err2} />
          {analogy && <Numbers open testid="analogy-table" head={['token', 'cosine']} rows={analogy.neighbours.map((n) => [show(n.token ?? `#${n.id}`), n.score])} />}
        </form>
      </div>
      <div class="row">
        <form class="card" noValidate onSubmit={(e) => e.preventDefault()}>
          <h3>One word, two sentences</h3>
          <Field label="sentence 1" wide><TextInput name="s1" value={s1} onInput={setS1} /></Field>
          <Field label="sentence 2" wide><TextInput name="s2" value={s2} onInput={setS2} /></Field>
          <Field label="word"><TextInput name="ctxword" value={ctxWord} onInput={setCtxWord} /></Field>
          <RunButton busy={busy3} onClick={() => run3(async () => setDrift(await client.request('contextual', { sentences: [s1, s2], word: ctxWord })))}>Compare</RunButton>
          <ErrorBox message={err3} />
          {driftOpts && <PlotFigure options={driftOpts} label="cosine similarity of the word's vectors by layer" />}
        </form>
        <form class="card" noValidate onSubmit={(e) => e.preventDefault()}>
          <h3>PCA of chosen tokens</h3>
          <Field label="tokens, comma-separated (the first keeps its space)" wide><TextInput name="words" value={words} onInput={setWords} /></Field>
          <RunButton busy={busy4} onClick={() => run4(async () => setProj(await client.request('project', { words: words.split(',').map((w, i) => (i === 0 ? w : ' ' + w.trim())) })))}>Project</RunButton>
          <ErrorBox message={err4} />
          {projOpts && <PlotFigure options={projOpts} label="PCA projection of token embeddings" />}
        </form>
      </div>
      <div class="row"><Word2VecCard client={client} /></div>
    </section>
  );
}
