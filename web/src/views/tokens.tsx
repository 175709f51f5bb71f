// Tokens: where the tokenizer cuts the text, each token's id, and the bytes it stands for (a
// character split across tokens shows as bytes on both sides of the cut).

import { useEffect, useState } from 'preact/hooks';
import type { Requests } from '../protocol';
import { ErrorBox, Field, useJob } from '../ui';
import type { ViewProps } from './types';

export function TokensView({ client, text }: ViewProps) {
  const [input, setInput] = useState(text);
  const [result, setResult] = useState<Requests['tokenize']['result'] | null>(null);
  const [run, , error] = useJob();
  useEffect(() => { run(async () => setResult(await client.request('tokenize', { text: input, bos: false }))); }, [input]);
  const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
  return (
    <section>
      <h2>Tokens</h2>
      <Field label="text" wide><textarea name="text" rows={2} value={input} onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)} /></Field>
      <ErrorBox message={error} />
      {result && (
        <>
          <p class="stats">{result.ids.length} tokens, {new TextEncoder().encode(input).length} bytes — {result.description}</p>
          <ol class="pieces" data-testid="pieces">
            {result.pieces.map((p, i) => {
              const partial = p.text.includes('\uFFFD');
              return (
                <li key={i} class={partial ? 'piece partial' : 'piece'} tabIndex={0} title={`id ${p.id}${p.token !== null ? `, vocabulary entry ${JSON.stringify(p.token)}` : ''}, bytes ${hex(p.bytes)}`}>
                  <span class="ptext">{partial ? `‹${hex(p.bytes)}›` : p.text.replace(/ /g, '·').replace(/\n/g, '⏎')}</span>
                  <span class="pid">{p.id}</span>
                  <span class="pbytes">{hex(p.bytes)}</span>
                </li>
              );
            })}
          </ol>
          <p class="hint">A token whose bytes are not a whole character (an emoji split in two) shows its bytes in ‹ ›.</p>
        </>
      )}
    </section>
  );
}
