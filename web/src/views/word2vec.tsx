// word2vec vectors beside the model's own: trained in the page on pasted text
// (inspect.trainWord2Vec) or loaded from a word2vec text file; nearest words and analogies
// (inspect.VectorIndex).

import { useState } from 'preact/hooks';
import type { ModelClient } from '../client';
import type { W2VInfo } from '../protocol';
import { ErrorBox, Field, NumberInput, Numbers, RunButton, TextInput, useJob } from '../ui';

const SAMPLE = [
  'the king sat on his throne and the queen sat beside him',
  'a man and a woman walked to the castle to see the king and the queen',
  'the prince is the son of the king and the princess is the daughter of the queen',
  'the boy played with the girl and the man talked with the woman',
].join('\n');

export function Word2VecCard({ client }: { client: ModelClient }) {
  const [text, setText] = useState(Array.from({ length: 40 }, () => SAMPLE).join('\n'));
  const [dim, setDim] = useState(32);
  const [epochs, setEpochs] = useState(5);
  const [info, setInfo] = useState<W2VInfo | null>(null);
  const [query, setQuery] = useState('king, man, woman');
  const [result, setResult] = useState<{ word: string; score: number }[] | null>(null);
  const [run, busy, error] = useJob();
  const [runQ, busyQ, errorQ] = useJob();
  const load = async (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) await run(async () => { setInfo(await client.request('w2vLoad', { text: await f.text(), name: f.name })); setResult(null); });
  };
  return (
    <form class="card" noValidate onSubmit={(e) => e.preventDefault()}>
      <h3>word2vec: vectors trained here, or loaded</h3>
      <Field label="text to train on (one sentence per line)" wide><textarea name="w2vtext" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} /></Field>
      <div class="controls">
        <Field label="dimensions"><NumberInput name="w2vdim" value={dim} min={2} onInput={setDim} /></Field>
        <Field label="epochs"><NumberInput name="w2vepochs" value={epochs} min={1} onInput={setEpochs} /></Field>
        <RunButton name="w2vtrain" busy={busy} onClick={() => run(async () => { setInfo(await client.request('w2vTrain', { text, dim, epochs, window: 5, minCount: 2 })); setResult(null); })}>Train</RunButton>
        <label class="field"><span>or load a word2vec .txt</span><input type="file" accept=".txt,.vec" onChange={load} /></label>
      </div>
      <ErrorBox message={error} />
      {info && <p class="stats" data-testid="w2v-info">{info.words} words × {info.dim} dimensions, {info.source} ({info.seconds.toFixed(1)} s)</p>}
      {info && (
        <>
          <Field label="one word (nearest), or a, b, c (a − b + c)" wide><TextInput name="w2vquery" value={query} onInput={setQuery} /></Field>
          <RunButton name="w2vquery" busy={busyQ} onClick={() => runQ(async () => setResult(await client.request('w2vQuery', { words: query.split(','), k: 8 })))}>Ask</RunButton>
          <ErrorBox message={errorQ} />
          {result && <Numbers open testid="w2v-table" head={['word', 'cosine']} rows={result.map((n) => [n.word, n.score])} />}
        </>
      )}
    </form>
  );
}
