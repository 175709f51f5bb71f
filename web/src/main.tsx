// The page: a header with the backend and model, tabs for the views, and the worker that runs
// the model. Each view asks the worker for the library's typed data and draws it.

import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ModelClient } from './client';
import type { BackendInfo, ModelInfo } from './protocol';
import { ModelView } from './views/model';
import { GenerateView } from './views/generate';
import { TokensView } from './views/tokens';
import { LensView } from './views/lens';
import { AttentionView } from './views/attention';
import { AttributionView } from './views/attribution';
import { PatchingView } from './views/patching';
import { NeuronsView } from './views/neurons';
import { VectorsView } from './views/vectors';
import { ContextView } from './views/context';
import { TrainView } from './views/train';
import type { ViewProps } from './views/types';
import './style.css';

const VIEWS: { id: string; title: string; view: (p: ViewProps & { loadState: LoadState; openFiles(files: File[], label: string): void }) => preact.JSX.Element }[] = [
  { id: 'model', title: 'Model', view: ModelView },
  { id: 'generate', title: 'Generate', view: GenerateView },
  { id: 'tokens', title: 'Tokens', view: TokensView },
  { id: 'lens', title: 'Logit lens', view: LensView },
  { id: 'attention', title: 'Attention', view: AttentionView },
  { id: 'attribution', title: 'Attribution', view: AttributionView },
  { id: 'patching', title: 'Patching', view: PatchingView },
  { id: 'neurons', title: 'Neurons', view: NeuronsView },
  { id: 'vectors', title: 'Word vectors', view: VectorsView },
  { id: 'context', title: 'Context & cost', view: ContextView },
  { id: 'train', title: 'Train', view: TrainView },
];

export interface LoadState {
  busy: boolean;
  message: string;
  fraction?: number;
  error: string | null;
}

interface Manifest { name: string; files: string[] }

function App() {
  const client = useMemo(() => new ModelClient(), []);
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const [info, setInfo] = useState<ModelInfo | null>(null);
  const [load, setLoad] = useState<LoadState>({ busy: true, message: 'starting the model worker…', error: null });
  const [tab, setTab] = useState(() => (location.hash.slice(1) && VIEWS.some((v) => v.id === location.hash.slice(1)) ? location.hash.slice(1) : 'model'));
  const [text, setText] = useState('Once upon a time, there was a little girl named');
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  const progress = (d: unknown) => {
    const p = d as { file?: string; loaded?: number; total?: number; overall?: number; phase?: string };
    if (p.phase) setLoad((s) => ({ ...s, message: p.phase!, fraction: undefined }));
    else setLoad((s) => ({ ...s, message: `reading ${p.file} (${((p.loaded ?? 0) / 1e6).toFixed(1)} MB${p.total ? ` of ${(p.total / 1e6).toFixed(1)}` : ''})`, fraction: p.overall ?? (p.total ? (p.loaded ?? 0) / p.total : undefined) }));
  };

  const openModel = async (files: { name: string; url?: string; file?: File }[], label: string) => {
    setLoad({ busy: true, message: `opening ${label}…`, error: null });
    try {
      const i = await client.request('load', { files, label }, progress);
      setInfo(i);
      setLoad({ busy: false, message: '', error: null });
      performance.mark('glasslm-model-open');
    } catch (err) {
      setLoad({ busy: false, message: '', error: `could not open ${label}: ${(err as Error).message}` });
    }
  };

  useEffect(() => {
    client.onCrash = (message) => setLoad({ busy: false, message: '', error: message });
    const params = new URLSearchParams(location.search);
    const threads = params.get('threads') ? Number(params.get('threads')) : undefined;
    (async () => {
      try {
        setBackend(await client.request('init', { threads }));
        const response = await fetch('models/default.json');
        if (!response.ok) throw new Error(`models/default.json: HTTP ${response.status}`);
        const manifest = (await response.json()) as Manifest;
        await openModel(manifest.files.map((f) => ({ name: f, url: new URL(f, new URL('models/default.json', location.href)).href })), manifest.name);
      } catch (err) {
        setLoad({ busy: false, message: '', error: (err as Error).message });
      }
    })();
  }, []);

  const select = (id: string) => {
    setTab(id);
    history.replaceState(null, '', `#${id}`);
  };
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const n = VIEWS.length;
    const to = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    select(VIEWS[to].id);
    tabRefs.current[to]?.focus();
  };

  const current = VIEWS.find((v) => v.id === tab)!;
  const View = current.view;
  return (
    <>
      <header>
        <h1>glasslm <small>a language model you can see through</small></h1>
        <p class="status" data-testid="backend">{backend ? `backend: ${backend.note}` : 'starting…'}</p>
        <p class="status" data-testid="model-name">{info ? `model: ${info.name} — ${info.architecture}, ${info.layers} layers, ${info.parameters.total.toLocaleString('en-US')} parameters` : load.busy ? load.message : 'no model open'}</p>
      </header>
      <nav role="tablist" aria-label="views">
        {VIEWS.map((v, i) => (
          <button key={v.id} role="tab" id={`tab-${v.id}`} aria-selected={v.id === tab} aria-controls="view" tabIndex={v.id === tab ? 0 : -1}
            ref={(el) => { tabRefs.current[i] = el; }} onClick={() => select(v.id)} onKeyDown={(e) => onTabKey(e as unknown as KeyboardEvent, i)}>{v.title}</button>
        ))}
      </nav>
      <main><div id="view" role="tabpanel" aria-labelledby={`tab-${tab}`} data-view={tab}>
        {load.busy && (
          <div class="loading" role="status" aria-live="polite">
            <span>{load.message}</span>
            <progress max={1} value={load.fraction} aria-label="loading progress" />
          </div>
        )}
        {load.error && <p class="error" role="alert" data-testid="load-error">{load.error}</p>}
        {info || tab === 'model' || tab === 'train'
          ? <View client={client} info={info!} text={text} setText={setText} onModel={setInfo} loadState={load}
              openFiles={(files, label) => openModel(files.map((f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, file: f })), label)} />
          : !load.busy && <p>Open a model on the Model tab first.</p>}
      </div></main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
