// The messages between the page (main thread) and the model worker. The worker answers each
// request with the typed data the library's functions return (the same data as the CLI's --json);
// the page only draws it.

import type { inspect } from 'glasslm';

/** One file the worker loads: a name (for the format) and its bytes, a File, or a URL. */
export interface FileRef {
  name: string;
  url?: string;
  file?: File;
}

/** What `glasslm info --json` prints, for a model opened in the page. */
export interface ModelInfo {
  name: string;
  architecture: string;
  layers: number;
  d_model: number;
  heads: number;
  kv_heads?: number;
  head_dim: number;
  d_mlp: number;
  context_length: number;
  vocab_size: number;
  parameters: Record<string, number>;
  format: string;
  file_bytes: number;
  dtypes: string[];
  tokenizer: string;
  bos?: number;
  eos?: number;
}

/** The backend the worker runs on, in words and numbers. */
export interface BackendInfo {
  note: string;
  threads: number;
  crossOriginIsolated: boolean;
}

export interface GenerateParams {
  prompt: string;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  maxTokens: number;
  alternatives: number;
}

/** One generated token as the page shows it (the worker posts them in batches: StreamToken[] per progress message). */
export interface StreamToken {
  id: number;
  text: string;
  prob: number;
  position: number;
  alternatives: { id: number; token: string; prob: number }[];
}

export interface GenerateDone {
  text: string;
  promptIds: number[];
  stopReason: string;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** Seconds from the request to the first token (prompt processing included). */
  firstTokenSeconds: number;
}

export interface TokenPiece {
  id: number;
  /** The vocabulary's own string, or null. */
  token: string | null;
  /** The piece's bytes in hex and as text (U+FFFD where a character is split). */
  bytes: number[];
  text: string;
  /** Character range in the input covered by this token (a split character belongs to its last token). */
  start: number;
  end: number;
}

export interface TrainParams {
  text: string;
  tokenizer: 'char' | 'bpe';
  vocabSize: number;
  layers: number;
  heads: number;
  dim: number;
  contextLength: number;
  steps: number;
  batchSize: number;
  lr: number;
  evalInterval: number;
  seed: number;
}

export interface TrainProgress {
  step: number;
  loss: number;
  lr: number;
  val?: number;
  tokensPerSecond: number;
}

/** Word vectors held by the worker (trained in the page or loaded from a word2vec text file). */
export interface W2VInfo {
  source: string;
  words: number;
  dim: number;
  seconds: number;
}

/** Requests and the result type of each. */
export interface Requests {
  init: { params: { threads?: number }; result: BackendInfo };
  load: { params: { files: FileRef[]; label: string }; result: ModelInfo };
  generate: { params: GenerateParams; result: GenerateDone };
  tokenize: { params: { text: string; bos: boolean }; result: { ids: number[]; pieces: TokenPiece[]; description: string } };
  lens: { params: { prompt: string; k: number }; result: inspect.LensResult };
  attention: { params: { prompt: string }; result: Omit<inspect.AttentionResult, 'q' | 'k' | 'v'> & { headTypes: inspect.HeadScores; induction: number[][] } };
  qkv: { params: { prompt: string; layer: number; head: number; query: number }; result: inspect.QueryKeyValues };
  attribute: { params: { prompt: string; position?: number; token?: string; wrong?: string }; result: inspect.AttributionResult & { tokenText: string; wrongText?: string } };
  patch: { params: { clean: string; corrupted: string; answer?: string; wrong?: string }; result: inspect.PatchingResult };
  neurons: { params: { prompt: string; position?: number; k: number }; result: inspect.TopNeuronsResult };
  neuronTrace: { params: { prompt: string; layer: number; neuron: number }; result: inspect.NeuronTrace };
  nearest: { params: { word: string; k: number }; result: inspect.NearestTokens };
  analogy: { params: { a: string; b: string; c: string; k: number }; result: inspect.TokenAnalogy };
  contextual: { params: { sentences: string[]; word: string }; result: inspect.ContextualDrift };
  project: { params: { words: string[] }; result: inspect.TokenProjection };
  w2vTrain: { params: { text: string; dim: number; epochs: number; window: number; minCount: number }; result: W2VInfo };
  w2vLoad: { params: { text: string; name: string }; result: W2VInfo };
  w2vQuery: { params: { words: string[]; k: number }; result: { word: string; score: number }[] };
  cost: { params: { prompt: string }; result: inspect.AttentionCost };
  train: { params: TrainParams; result: ModelInfo };
  checkpoint: { params: Record<string, never>; result: { name: string; bytes: Uint8Array }[] };
}

export type RequestType = keyof Requests;

export type ToWorker =
  | { kind: 'request'; id: number; type: RequestType; params: unknown }
  | { kind: 'stop' };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'progress'; id: number; data: unknown };
