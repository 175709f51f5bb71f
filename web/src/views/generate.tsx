// Generate: stream a continuation token by token; each token is shaded by the probability the
// model gave it, and hovering (or focusing) it shows the alternatives the model weighed.

import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import type { GenerateDone, StreamToken } from '../protocol';
import { probabilityColor } from '../plot';
import { ErrorBox, Field, NumberInput, show } from '../ui';
import type { ViewProps } from './types';

/**
 * The streamed text is redrawn at most this often. Each redraw costs the page a style, layout,
 * paint, raster and composite pass over the text (several ms of CPU across Chromium's threads),
 * which at 60 redraws a second took most of a core from the model's worker; 10 a second still
 * reads as streaming.
 */
const DRAW_EVERY_MS = 100;

export function GenerateView({ client, text, setText }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [temperature, setTemperature] = useState(0);
  const [topK, setTopK] = useState(0);
  const [topP, setTopP] = useState(1);
  const [seed, setSeed] = useState(1);
  const [maxTokens, setMaxTokens] = useState(40);
  // the streamed tokens, in the chunks they were drawn in (each redraw adds one chunk; a drawn chunk is not redrawn)
  const [chunks, setChunks] = useState<StreamToken[][]>([]);
  const [active, setActive] = useState(-1); // the token whose alternatives show (hover or focus): only one is drawn
  const [done, setDone] = useState<GenerateDone | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const start = async () => {
    setChunks([]);
    setDone(null);
    setError(null);
    setRunning(true);
    const got: StreamToken[] = [];
    let drawnChunks: StreamToken[][] = [], drawnCount = 0;
    // at most one re-render per DRAW_EVERY_MS, however fast tokens come (the first at once)
    let timer: ReturnType<typeof setTimeout> | undefined, drawn = -Infinity;
    const flush = () => {
      timer = undefined;
      drawn = performance.now();
      if (got.length === drawnCount) return;
      drawnChunks = [...drawnChunks, got.slice(drawnCount)];
      drawnCount = got.length;
      setChunks(drawnChunks);
    };
    try {
      // the worker posts tokens in batches (worker.ts: POST_EVERY_MS)
      const d = await client.request('generate', { prompt, temperature, topK, topP, seed, maxTokens, alternatives: 5 }, (batch) => {
        if (got.length === 0) performance.mark('glasslm-first-token'); // read by bench/web-decode.ts
        for (const t of batch as StreamToken[]) got.push(t);
        timer ??= setTimeout(flush, Math.max(0, drawn + DRAW_EVERY_MS - performance.now()));
      });
      clearTimeout(timer);
      flush();
      setDone(d);
      setText(prompt + got.map((t) => t.text).join(''));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const starts: number[] = [];
  let count = 0;
  for (const c of chunks) { starts.push(count); count += c.length; }

  return (
    <section>
      <h2>Generate</h2>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); if (!running) start(); }}>
        <Field label="prompt" wide><textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        <Field label="temperature (0 = greedy)"><NumberInput name="temperature" value={temperature} step={0.1} min={0} onInput={setTemperature} /></Field>
        <Field label="top-k (0 = all)"><NumberInput name="topk" value={topK} min={0} onInput={setTopK} /></Field>
        <Field label="top-p"><NumberInput name="topp" value={topP} step={0.05} min={0.01} max={1} onInput={setTopP} /></Field>
        <Field label="seed"><NumberInput name="seed" value={seed} onInput={setSeed} /></Field>
        <Field label="max tokens"><NumberInput name="max" value={maxTokens} min={1} onInput={setMaxTokens} /></Field>
        <div class="buttons">
          <button type="submit" name="generate" disabled={running}>Generate</button>
          <button type="button" name="stop" disabled={!running} onClick={() => client.stop()}>Stop</button>
        </div>
      </form>
      <ErrorBox message={error} />
      <p class="output" data-testid="generated" aria-live="polite">
        <span class="prompt-text">{prompt}</span>
        {chunks.map((c, k) => {
          const start = starts[k];
          return <Chunk key={k} tokens={c} start={start} active={active >= start && active < start + c.length ? active : -1} setActive={setActive} />;
        })}
      </p>
      <p class="stats" data-testid="gen-stats">
        {done ? `${done.tokens} tokens, ${done.tokensPerSecond.toFixed(1)} tokens/s; first token after ${(done.firstTokenSeconds * 1000).toFixed(0)} ms; stopped: ${done.stopReason === 'stopped' ? 'by the Stop button' : done.stopReason.replace('_', ' ')}` : running ? `${count} tokens…` : ''}
      </p>
      <p class="hint">Shade: the model's probability of each token (white 0, blue 1). Hover or tab to a token for the alternatives.</p>
    </section>
  );
}

/** The tokens of one redraw. Memoized: a later redraw skips it unless its hovered token changed. */
const Chunk = memo(function Chunk({ tokens, start, active, setActive }: { tokens: StreamToken[]; start: number; active: number; setActive: (i: number) => void }) {
  return <>{tokens.map((t, i) => <TokenSpan key={i} t={t} index={start + i} active={active === start + i} setActive={setActive} />)}</>;
});

/**
 * One generated token. Memoized: while tokens stream in, a frame's re-render draws only the new
 * tokens (and the one whose hover state changed), not the whole text again.
 */
const TokenSpan = memo(function TokenSpan({ t, index, active, setActive }: { t: StreamToken; index: number; active: boolean; setActive: (i: number) => void }) {
  return (
    <span class={active ? 'tok active' : 'tok'} tabIndex={0} style={{ background: probabilityColor(t.prob), color: t.prob > 0.6 ? 'white' : 'inherit' }}
      aria-label={`${JSON.stringify(t.text)}: probability ${t.prob.toFixed(3)}`} aria-describedby={active ? 'alts' : undefined}
      onMouseEnter={() => setActive(index)} onFocus={() => setActive(index)} onMouseLeave={() => setActive(-1)} onBlur={() => setActive(-1)}>
      <span class="ttext">{t.text}</span>
      {active && (
        <span class="alts" id="alts" role="tooltip">
          <b>p = {t.prob.toFixed(3)}</b>
          {t.alternatives.map((a) => <span key={a.id} class={a.id === t.id ? 'chosen' : ''}>{show(a.token)} <i>{a.prob.toFixed(3)}</i></span>)}
        </span>
      )}
    </span>
  );
});
