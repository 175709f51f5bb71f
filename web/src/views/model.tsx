// Model: what is open (the numbers `glasslm info --json` prints) and how to open another model
// from disk: a GGUF file, a llama2.c .bin with its tokenizer .bin, or a Hugging Face folder.

import type { LoadState } from '../main';
import type { ViewProps } from './types';

const bytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);

export function ModelView({ info, loadState, openFiles }: ViewProps & { loadState: LoadState; openFiles(files: File[], label: string): void }) {
  const pick = (e: Event) => {
    const files = [...((e.target as HTMLInputElement).files ?? [])];
    const folder = (files[0] as File & { webkitRelativePath?: string } | undefined)?.webkitRelativePath?.split('/')[0];
    if (files.length) openFiles(files, folder || files.map((f) => f.name).join(' + '));
    (e.target as HTMLInputElement).value = '';
  };
  const rows: [string, string | number][] = info ? [
    ['architecture', info.architecture],
    ['parameters', info.parameters.total.toLocaleString('en-US')],
    ['layers', info.layers],
    ['heads', info.kv_heads && info.kv_heads !== info.heads ? `${info.heads} query, ${info.kv_heads} key/value` : info.heads],
    ['width (d_model)', info.d_model],
    ['head size', info.head_dim],
    ['MLP width', info.d_mlp],
    ['context', `${info.context_length} tokens`],
    ['vocabulary', `${info.vocab_size.toLocaleString('en-US')} tokens`],
    ['tokenizer', info.tokenizer],
    ['file', info.file_bytes ? `${info.format}, ${bytes(info.file_bytes)}` : info.format],
    ['dtype', info.dtypes.join(', ')],
  ] : [];
  return (
    <section>
      <h2>Model</h2>
      {info && (
        <table class="facts" data-testid="model-info">
          <tbody>{rows.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}</tbody>
        </table>
      )}
      <h3>Open a model from this computer</h3>
      <p class="hint">Nothing is uploaded: the files are read by this page.</p>
      <div class="open">
        <label class="filebutton">
          <span>GGUF file, or llama2.c <code>.bin</code> + its tokenizer <code>.bin</code></span>
          <input type="file" multiple accept=".gguf,.bin" data-testid="open-files" disabled={loadState.busy} onChange={pick} />
        </label>
        <label class="filebutton">
          <span>Hugging Face folder (config.json, *.safetensors, tokenizer.json)</span>
          <input type="file" {...{ webkitdirectory: true }} data-testid="open-folder" disabled={loadState.busy} onChange={pick} />
        </label>
      </div>
    </section>
  );
}
