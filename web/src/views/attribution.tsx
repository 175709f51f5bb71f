// Attribution: what the embeddings, each head and each MLP add to one token's logit (or to the
// difference of two tokens' logits), from inspect.directLogitAttribution, as bars.

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Requests } from '../protocol';
import { Plot, PlotFigure } from '../plot';
import { ErrorBox, Field, Numbers, RunButton, TextInput, fmt, useJob } from '../ui';
import type { ViewProps } from './types';

export function AttributionView({ client, text, setText }: ViewProps) {
  const [prompt, setPrompt] = useState(text);
  const [token, setToken] = useState('');
  const [wrong, setWrong] = useState('');
  const [result, setResult] = useState<Requests['attribute']['result'] | null>(null);
  const [run, busy, error] = useJob();
  const go = () => run(async () => { setText(prompt); setResult(await client.request('attribute', { prompt, token, wrong })); });
  useEffect(() => { go(); }, []);
  const options = useMemo(() => result && ({
    width: 720, height: 40 + result.parts.length * 16, marginLeft: 110,
    x: { label: 'contribution to the logit', grid: true }, y: { label: null, domain: result.parts.map((p) => p.name) },
    color: { domain: ['embed', 'head', 'attn_bias', 'mlp', 'bias'], range: ['#718096', '#2b6cb0', '#90cdf4', '#dd6b20', '#a0aec0'], legend: true },
    marks: [Plot.barX(result.parts, { x: 'value', y: 'name', fill: 'kind', tip: true }), Plot.ruleX([0])],
  } as Plot.PlotOptions), [result]);
  return (
    <section>
      <h2>Attribution</h2>
      <p class="hint">The last residual stream is a sum of parts; with the final norm's scale frozen, the logit is a sum of one number per part.</p>
      <form class="controls" noValidate onSubmit={(e) => { e.preventDefault(); go(); }}>
        <Field label="text" wide><textarea name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} /></Field>
        <Field label="token (default: the top prediction)"><TextInput name="token" value={token} onInput={setToken} placeholder="e.g. ' Lily' or #123" /></Field>
        <Field label="minus token (optional)"><TextInput name="wrong" value={wrong} onInput={setWrong} /></Field>
        <RunButton busy={busy} onClick={go}>Show</RunButton>
      </form>
      <ErrorBox message={error} />
      {result && options && (
        <>
          <p class="stats" data-testid="attr-summary">
            position {result.position} ({JSON.stringify(result.tokens![result.position])}): logit{result.wrong !== undefined ? ' difference' : ''} of {JSON.stringify(result.tokenText)} (#{result.token}){result.wrong !== undefined ? ` − ${JSON.stringify(result.wrongText)} (#${result.wrong})` : ''} = {fmt(result.logit)}; sum of the parts = {fmt(result.total)}
          </p>
          <div class="scroll" data-testid="attr-bars"><PlotFigure options={options} label="direct logit attribution" /></div>
          <Numbers testid="attr-table" head={['part', 'kind', 'value']} rows={result.parts.map((p) => [p.name, p.kind, p.value])} />
        </>
      )}
    </section>
  );
}
