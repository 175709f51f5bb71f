// The model worker: holds the backend, the model and its tokenizer, and answers the page's
// requests by calling the library's functions (inspect.*, textSteps, Trainer). It draws nothing
// and computes nothing itself: each answer is the typed data the library returns.
//
// The backend runs here, not on the page's main thread, because threads wait with Atomics.wait,
// which a main thread may not call. Under cross-origin isolation (COOP/COEP headers) the wasm
// backend runs on several threads; without it, on one, and the page says so.

import { createWasmBackend, createCpuBackend, inspect, parameterCounts, setBackend, textSteps, textTrainer, type Model, type Tokenizer, type Trainer } from 'glasslm';
import { modelFromFiles, type NamedBytes } from './open-files';
import type { BackendInfo, FileRef, FromWorker, GenerateParams, ModelInfo, Requests, RequestType, StreamToken, ToWorker, TokenPiece, TrainParams } from './protocol';

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };

let model: Model | null = null;
let tokenizer: Tokenizer | null = null;
let stopRequested = false;
let trained: { trainer: Trainer; tokenizer: Tokenizer } | null = null;
let wordVectors: inspect.VectorIndex | null = null;

function need(): { model: Model; tokenizer: Tokenizer } {
  if (!model || !tokenizer) throw new Error('no model is open');
  return { model, tokenizer };
}

/** Lets queued messages (a stop request) in between steps of a long job: a message to ourselves, which (unlike setTimeout) is not clamped to 4 ms. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const pause = () => new Promise<void>((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); });

async function init(p: { threads?: number }): Promise<BackendInfo> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  try {
    let backend;
    try {
      backend = await createWasmBackend({ threads: isolated ? p.threads : 1, sharedMemory: isolated });
    } catch (err) {
      if (!isolated) throw err;
      // threads failed to start: the single-thread build still runs, and the page says why
      backend = await createWasmBackend({ threads: 1, sharedMemory: false });
      setBackend(backend);
      return { note: `WebAssembly ${backend.simd}, 1 thread (threads failed to start: ${(err as Error).message})`, threads: 1, crossOriginIsolated: isolated };
    }
    setBackend(backend);
    const why = isolated ? '' : ' — this page is not cross-origin isolated (no COOP/COEP headers), so it runs on one thread';
    return { note: `WebAssembly ${backend.simd}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}${why}`, threads: backend.threads, crossOriginIsolated: isolated };
  } catch (err) {
    setBackend(createCpuBackend());
    return { note: `plain JavaScript (slow): WebAssembly could not start: ${(err as Error).message}`, threads: 1, crossOriginIsolated: isolated };
  }
}

/** Reads every file (fetching URLs with progress) into bytes. */
async function readAll(files: FileRef[], id: number): Promise<NamedBytes[]> {
  const total = files.reduce((n, f) => n + (f.file?.size ?? 0), 0);
  const out: NamedBytes[] = [];
  let loaded = 0;
  for (const f of files) {
    const progress = (done: number, size: number) => scope.postMessage({ kind: 'progress', id, data: { file: f.name, loaded: done, total: size, overall: total ? (loaded + done) / total : undefined } });
    if (f.file) {
      progress(0, f.file.size);
      out.push({ name: f.name, bytes: new Uint8Array(await f.file.arrayBuffer()) });
      loaded += f.file.size;
      progress(f.file.size, f.file.size);
      continue;
    }
    const response = await fetch(f.url!);
    if (!response.ok) throw new Error(`could not fetch ${f.url}: HTTP ${response.status}`);
    const size = Number(response.headers.get('content-length') ?? 0);
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      progress(n, size);
    }
    const bytes = new Uint8Array(n);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
    out.push({ name: f.name, bytes });
  }
  return out;
}

function describe(name: string, m: Model, tok: Tokenizer, format: string, fileBytes: number, dtypes: string[]): ModelInfo {
  const c = m.config;
  const counts = parameterCounts(c) as unknown as Record<string, number>;
  return {
    name, architecture: c.arch, layers: c.layers, d_model: c.dim, heads: c.heads,
    kv_heads: m.family.attention(c).kvHeads, head_dim: m.family.attention(c).headDim,
    d_mlp: c.mlpHidden, context_length: c.contextLength, vocab_size: c.vocabSize, parameters: counts,
    format, file_bytes: fileBytes, dtypes, tokenizer: tok.description, bos: tok.bos, eos: tok.eos,
  };
}

async function load(p: { files: FileRef[]; label: string }, id: number): Promise<ModelInfo> {
  const files = await readAll(p.files, id);
  scope.postMessage({ kind: 'progress', id, data: { phase: 'building the model' } });
  await pause();
  const opened = modelFromFiles(files);
  if (opened.tokenizer.vocabSize > opened.model.config.vocabSize) {
    throw new Error(`the tokenizer has ${opened.tokenizer.vocabSize} tokens but the model only ${opened.model.config.vocabSize}: they do not belong together`);
  }
  model?.dispose();
  model = opened.model;
  model.transposeConv1D(); // GPT-2's (in, out) matrices as (out, in): decoding reads them at the memory's rate (as `glasslm generate` does)
  tokenizer = opened.tokenizer;
  return describe(p.label, model, tokenizer, opened.format, files.reduce((n, f) => n + f.bytes.length, 0), opened.dtypes);
}

/** Tokens are posted to the page in batches at most this often, not one message per token (the page redraws at most every 100 ms). */
const POST_EVERY_MS = 50;

async function generate(p: GenerateParams, id: number) {
  const { model, tokenizer } = need();
  const label = labelCache(tokenizer);
  const t0 = performance.now();
  let first = 0, count = 0, lastPost = t0;
  stopRequested = false;
  const steps = textSteps(model, tokenizer, p.prompt, { temperature: p.temperature, topK: p.topK, topP: p.topP, seed: p.seed, maxTokens: p.maxTokens, alternatives: p.alternatives });
  let batch: StreamToken[] = [];
  const post = () => {
    if (batch.length) scope.postMessage({ kind: 'progress', id, data: batch });
    batch = [];
  };
  let result;
  for (;;) {
    const next = steps.next();
    if (next.done) { result = next.value; break; }
    const e = next.value;
    batch.push({ id: e.id, text: e.text, prob: e.prob, position: e.position, alternatives: (e.alternatives ?? []).map((a) => ({ ...a, token: label(a.id) })) });
    const now = performance.now();
    if (count++ === 0) { first = now; post(); } // the first token goes out at once (time to first token)
    if (now - lastPost < POST_EVERY_MS) continue;
    // every POST_EVERY_MS: send what was generated, and a turn of the event loop to hear Stop
    post();
    await pause();
    lastPost = performance.now();
    if (stopRequested) {
      steps.return(undefined as never);
      result = null;
      break;
    }
  }
  post();
  const seconds = (performance.now() - t0) / 1000;
  const n = result ? result.tokens.length : count;
  const decodeSeconds = (performance.now() - (first || t0)) / 1000;
  return {
    text: result?.text ?? '', promptIds: result?.promptIds ?? [], stopReason: result ? result.stopReason : 'stopped', tokens: n, seconds,
    tokensPerSecond: n > 1 ? (n - 1) / decodeSeconds : 0, firstTokenSeconds: first ? (first - t0) / 1000 : 0,
  };
}

/** inspect.tokenLabel, remembered per id (the same few alternatives recur at every step). */
function labelCache(tok: Tokenizer): (id: number) => string {
  const label = inspect.tokenLabel(tok);
  const seen = new Map<number, string>();
  return (id) => {
    let s = seen.get(id);
    if (s === undefined) seen.set(id, (s = label(id)));
    return s;
  };
}

function tokenize(p: { text: string; bos: boolean }) {
  const { tokenizer } = need();
  const ids = p.bos && tokenizer.bos !== undefined ? [tokenizer.bos, ...tokenizer.encode(p.text)] : tokenizer.encode(p.text);
  const pieces: TokenPiece[] = [];
  const enc = new TextEncoder();
  const byteEnds: number[] = []; // byte offset in the input where each character ends
  let b = 0;
  for (const ch of p.text) { b += enc.encode(ch).length; for (let i = 0; i < ch.length; i++) byteEnds.push(b); }
  let at = 0, char = 0;
  ids.forEach((id, i) => {
    const bytes = tokenizer.pieceBytes(id, i > 0 ? ids[i - 1] : undefined);
    const startChar = char;
    at += (id === tokenizer.bos && i === 0) ? 0 : bytes.length;
    while (char < byteEnds.length && byteEnds[char] <= at) char++;
    pieces.push({ id, token: tokenizer.idToToken(id) ?? null, bytes: Array.from(bytes), text: new TextDecoder().decode(bytes), start: startChar, end: char });
  });
  return { ids, pieces, description: tokenizer.description };
}

/** One token from the page's text (or #id), as the CLI's --target reads it. */
function tokenOf(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const { model, tokenizer } = need();
  return inspect.tokenArg(tokenizer, model.config.vocabSize, text, what);
}

async function train(p: TrainParams, id: number): Promise<ModelInfo> {
  stopRequested = false;
  const shape = { arch: 'llama' as const, layers: p.layers, heads: p.heads, dim: p.dim, contextLength: p.contextLength };
  const { trainer, tokenizer: tok, trainTokens, valTokens } = textTrainer({
    text: p.text, tokenizer: p.tokenizer === 'char' ? 'char' : p.vocabSize, valFraction: 0.1, model: shape,
    options: { steps: p.steps, batchSize: p.batchSize, lr: p.lr, minLr: p.lr / 10, warmupSteps: Math.min(50, Math.floor(p.steps / 10)), evalInterval: p.evalInterval, evalBatches: 8, seed: p.seed, checkpointInterval: 0 },
  });
  scope.postMessage({ kind: 'progress', id, data: { info: `${tok.description}; ${trainTokens} training and ${valTokens} validation tokens; ${trainer.model.numParameters.toLocaleString('en-US')} parameters` } });
  const t0 = performance.now();
  let tokens = 0;
  while (!trainer.done && !stopRequested) {
    const r = trainer.trainStep();
    tokens += r.tokens;
    const last = trainer.done;
    const val = (p.evalInterval > 0 && r.step % p.evalInterval === 0) || last || r.step === 1 ? trainer.evaluate() : undefined;
    scope.postMessage({ kind: 'progress', id, data: { step: r.step, loss: r.loss, lr: r.lr, val, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) } });
    await pause();
  }
  trainer.model.setTrainable(false);
  model = trainer.model;
  tokenizer = tok;
  trained = { trainer, tokenizer: tok };
  return describe('trained in this tab', model, tok, 'trained in the page', 0, ['F32']);
}

const handlers: { [K in RequestType]: (p: Requests[K]['params'], id: number) => Requests[K]['result'] | Promise<Requests[K]['result']> } = {
  init,
  load,
  generate,
  tokenize,
  lens: (p) => { const { model, tokenizer } = need(); return inspect.logitLens(model, inspect.encodePrompt(tokenizer, p.prompt), { k: p.k, decode: inspect.tokenLabel(tokenizer) }); },
  attention: (p) => {
    const { model, tokenizer } = need();
    const decode = inspect.tokenLabel(tokenizer);
    const a = inspect.attentionPatterns(model, inspect.encodePrompt(tokenizer, p.prompt), { decode });
    const headTypes = inspect.headScores(a.patterns);
    const induction = inspect.inductionScores(model, { bos: tokenizer.bos, vocab: tokenizer.vocabSize }).scores;
    return { ...a, headTypes, induction };
  },
  qkv: (p) => {
    const { model, tokenizer } = need();
    const a = inspect.attentionPatterns(model, inspect.encodePrompt(tokenizer, p.prompt), { qkv: true });
    return inspect.queryKeyValues(a, p.layer, p.head, p.query);
  },
  attribute: (p) => {
    const { model, tokenizer } = need();
    const decode = inspect.tokenLabel(tokenizer);
    const r = inspect.directLogitAttribution(model, inspect.encodePrompt(tokenizer, p.prompt), { position: p.position, token: tokenOf(p.token, 'token'), wrong: tokenOf(p.wrong, 'wrong'), decode });
    return { ...r, tokenText: decode(r.token), wrongText: r.wrong === undefined ? undefined : decode(r.wrong) };
  },
  patch: (p) => {
    const { model, tokenizer } = need();
    return inspect.activationPatching(model, inspect.encodePrompt(tokenizer, p.clean), inspect.encodePrompt(tokenizer, p.corrupted), { answer: tokenOf(p.answer, 'answer'), wrong: tokenOf(p.wrong, 'wrong'), decode: inspect.tokenLabel(tokenizer) });
  },
  neurons: (p) => { const { model, tokenizer } = need(); return inspect.topNeurons(model, inspect.encodePrompt(tokenizer, p.prompt), { position: p.position, k: p.k, decode: inspect.tokenLabel(tokenizer) }); },
  neuronTrace: (p) => { const { model, tokenizer } = need(); return inspect.neuronTrace(model, inspect.encodePrompt(tokenizer, p.prompt), p.layer, p.neuron, inspect.tokenLabel(tokenizer)); },
  nearest: (p) => { const { model, tokenizer } = need(); return inspect.nearestTokens(model, tokenOf(p.word, 'word')!, p.k, inspect.tokenLabel(tokenizer)); },
  analogy: (p) => { const { model, tokenizer } = need(); return inspect.tokenAnalogy(model, tokenOf(p.a, 'a')!, tokenOf(p.b, 'b')!, tokenOf(p.c, 'c')!, p.k, inspect.tokenLabel(tokenizer)); },
  contextual: (p) => { const { model, tokenizer } = need(); return inspect.contextualDrift(model, p.sentences, p.word, (t) => inspect.encodePrompt(tokenizer, t)); },
  project: (p) => { const { model, tokenizer } = need(); return inspect.tokenProjection(model, p.words.map((w) => tokenOf(w, 'word')!), inspect.tokenLabel(tokenizer)); },
  w2vTrain: (p) => {
    const t0 = performance.now();
    const sentences = inspect.tokenizeCorpus(p.text);
    const wv = inspect.trainWord2Vec(sentences, { dim: p.dim, epochs: p.epochs, window: p.window, minCount: p.minCount, seed: 1 });
    if (wv.words.length === 0) throw new Error(`no word occurs ${p.minCount} times in the text: give more text or a lower minimum count`);
    wordVectors = new inspect.VectorIndex(wv);
    return { source: `trained here on ${sentences.reduce((n, s) => n + s.length, 0).toLocaleString('en-US')} words`, words: wv.words.length, dim: wv.dim, seconds: (performance.now() - t0) / 1000 };
  },
  w2vLoad: (p) => {
    const t0 = performance.now();
    const wv = inspect.parseWord2VecText(p.text);
    wordVectors = new inspect.VectorIndex(wv);
    return { source: `loaded from ${p.name}`, words: wv.words.length, dim: wv.dim, seconds: (performance.now() - t0) / 1000 };
  },
  w2vQuery: (p) => {
    if (!wordVectors) throw new Error('train or load word vectors first');
    const words = p.words.map((w) => w.trim().toLowerCase());
    for (const w of words) if (!wordVectors.has(w)) throw new Error(`'${w}' is not in the vectors' vocabulary`);
    if (words.length === 1) return wordVectors.similar(words[0], p.k);
    if (words.length === 3) return wordVectors.analogy(words[0], words[1], words[2], p.k);
    throw new Error('give one word (nearest) or three (a − b + c)');
  },
  cost: (p) => { const { model, tokenizer } = need(); return inspect.attentionCost(model.config, inspect.encodePrompt(tokenizer, p.prompt).length); },
  train,
  checkpoint: () => {
    if (!trained) throw new Error('train a model in this tab first');
    return [...trained.trainer.checkpointFiles()].map(([name, bytes]) => ({ name, bytes }));
  },
};

let queue: Promise<unknown> = Promise.resolve();

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.kind === 'stop') { stopRequested = true; return; }
  // one request at a time, in order (the model is not re-entrant)
  queue = queue.then(async () => {
    try {
      const result = await (handlers[msg.type] as (p: unknown, id: number) => unknown)(msg.params, msg.id);
      scope.postMessage({ kind: 'result', id: msg.id, result });
    } catch (err) {
      scope.postMessage({ kind: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
};
