// Request bodies as JSON Schema (TypeBox), validated by Fastify before a handler runs: wrong types,
// out-of-range numbers and unknown fields are 400s naming the field.

import { type Static, Type as T } from '@sinclair/typebox';

const TokenIds = T.Array(T.Integer({ minimum: 0 }), { minItems: 1 });
const Stop = T.Union([T.String(), T.Array(T.String(), { maxItems: 4 })]);

/** Options shared by /v1/completions and /v1/chat/completions. */
const sampling = {
  model: T.Optional(T.String()),
  stream: T.Optional(T.Boolean()),
  stream_options: T.Optional(T.Union([T.Null(), T.Object({ include_usage: T.Optional(T.Boolean()) }, { additionalProperties: false })])),
  max_tokens: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 1 })])),
  temperature: T.Optional(T.Union([T.Null(), T.Number({ minimum: 0, maximum: 2 })])),
  top_p: T.Optional(T.Union([T.Null(), T.Number({ exclusiveMinimum: 0, maximum: 1 })])),
  top_k: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })])),
  n: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 1, maximum: 128 })])),
  stop: T.Optional(T.Union([T.Null(), Stop])),
  seed: T.Optional(T.Union([T.Null(), T.Integer()])),
  presence_penalty: T.Optional(T.Union([T.Null(), T.Number({ minimum: -2, maximum: 2 })])),
  frequency_penalty: T.Optional(T.Union([T.Null(), T.Number({ minimum: -2, maximum: 2 })])),
  logit_bias: T.Optional(T.Union([T.Null(), T.Record(T.String({ pattern: '^[0-9]+$' }), T.Number({ minimum: -100, maximum: 100 }), { additionalProperties: false })])),
  user: T.Optional(T.String()),
  // accepted and ignored: they change nothing about the answer (OpenAI clients send them)
  store: T.Optional(T.Union([T.Null(), T.Boolean()])),
  metadata: T.Optional(T.Union([T.Null(), T.Record(T.String(), T.String())])),
  service_tier: T.Optional(T.Union([T.Null(), T.String()])),
};

export const CompletionBody = T.Object({
  ...sampling,
  // 0 with echo scores the prompt without generating (as evaluation harnesses ask)
  max_tokens: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 0 })])),
  prompt: T.Union([T.String(), T.Array(T.String(), { minItems: 1 }), TokenIds, T.Array(TokenIds, { minItems: 1 })]),
  echo: T.Optional(T.Union([T.Null(), T.Boolean()])),
  logprobs: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 0, maximum: 20 })])),
  // insertion and server-side best-of are not supported: only their neutral values pass (checked by the route)
  suffix: T.Optional(T.Union([T.Null(), T.String()])),
  best_of: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 1 })])),
}, { additionalProperties: false });
export type CompletionBody = Static<typeof CompletionBody>;

const ContentPart = T.Object({ type: T.Literal('text'), text: T.String() }, { additionalProperties: false });
const Message = T.Object({
  role: T.Union([T.Literal('system'), T.Literal('developer'), T.Literal('user'), T.Literal('assistant'), T.Literal('tool')]),
  // null: an assistant turn that only called tools (as OpenAI returns it); read as empty text
  content: T.Union([T.String(), T.Array(ContentPart), T.Null()]),
  name: T.Optional(T.String()),
  // as OpenAI returns an assistant message, so that a client can send it back in the history
  refusal: T.Optional(T.Union([T.Null(), T.String()])),
  tool_calls: T.Optional(T.Union([T.Null(), T.Array(T.Unknown())])),
  tool_call_id: T.Optional(T.String()),
}, { additionalProperties: false });

export const ChatBody = T.Object({
  ...sampling,
  messages: T.Array(Message, { minItems: 1 }),
  max_completion_tokens: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 1 })])),
  logprobs: T.Optional(T.Union([T.Null(), T.Boolean()])),
  top_logprobs: T.Optional(T.Union([T.Null(), T.Integer({ minimum: 0, maximum: 20 })])),
  // tools and structured output are not supported: only their neutral values pass (checked by the route)
  tools: T.Optional(T.Union([T.Null(), T.Array(T.Unknown())])),
  tool_choice: T.Optional(T.Union([T.Null(), T.String(), T.Object({}, { additionalProperties: true })])),
  parallel_tool_calls: T.Optional(T.Union([T.Null(), T.Boolean()])),
  response_format: T.Optional(T.Union([T.Null(), T.Object({ type: T.String() }, { additionalProperties: true })])),
}, { additionalProperties: false });
export type ChatBody = Static<typeof ChatBody>;

export const EmbeddingsBody = T.Object({
  model: T.Optional(T.String()),
  input: T.Union([T.String(), T.Array(T.String(), { minItems: 1, maxItems: 2048 }), TokenIds, T.Array(TokenIds, { minItems: 1, maxItems: 2048 })]), // OpenAI's limit: 2,048 inputs
  encoding_format: T.Optional(T.Union([T.Literal('float'), T.Literal('base64')])),
  user: T.Optional(T.String()),
}, { additionalProperties: false });
export type EmbeddingsBody = Static<typeof EmbeddingsBody>;

export const TokenizeBody = T.Object({
  model: T.Optional(T.String()),
  prompt: T.String(),
  add_special_tokens: T.Optional(T.Boolean()),
}, { additionalProperties: false });
export type TokenizeBody = Static<typeof TokenizeBody>;

export const DetokenizeBody = T.Object({
  model: T.Optional(T.String()),
  tokens: T.Array(T.Integer({ minimum: 0 })),
}, { additionalProperties: false });
export type DetokenizeBody = Static<typeof DetokenizeBody>;

/** A token for an inspection view: its text (one token) or its id. */
const TokenRef = T.Union([T.String(), T.Integer({ minimum: 0 })]);
const prompt = { model: T.Optional(T.String()), prompt: T.String({ minLength: 1 }), bos: T.Optional(T.Boolean()) };

export const InspectBodies = {
  lens: T.Object({ ...prompt, k: T.Optional(T.Integer({ minimum: 1, maximum: 50 })), target: T.Optional(TokenRef) }, { additionalProperties: false }),
  attention: T.Object({
    ...prompt, qkv: T.Optional(T.Boolean()), query: T.Optional(T.Integer()), induction_length: T.Optional(T.Integer({ minimum: 2 })), seed: T.Optional(T.Integer()),
  }, { additionalProperties: false }),
  attribution: T.Object({ ...prompt, position: T.Optional(T.Integer()), token: T.Optional(TokenRef), wrong: T.Optional(TokenRef) }, { additionalProperties: false }),
  patching: T.Object({
    model: T.Optional(T.String()), clean: T.String({ minLength: 1 }), corrupted: T.String({ minLength: 1 }), bos: T.Optional(T.Boolean()),
    answer: T.Optional(TokenRef), wrong: T.Optional(TokenRef),
  }, { additionalProperties: false }),
  neurons: T.Object({
    ...prompt, position: T.Optional(T.Integer()), layer: T.Optional(T.Integer({ minimum: 0 })), top: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
    neuron: T.Optional(T.String({ pattern: '^[0-9]+\\.[0-9]+$' })), window: T.Optional(T.Integer({ minimum: 0, maximum: 64 })),
  }, { additionalProperties: false }),
  vectors: T.Object({
    model: T.Optional(T.String()), token: T.Optional(TokenRef), top: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
    word: T.Optional(T.String({ minLength: 1 })), sentences: T.Optional(T.Array(T.String(), { minItems: 2, maxItems: 64 })), layer: T.Optional(T.Integer({ minimum: -1 })),
  }, { additionalProperties: false }),
  tokens: T.Object({ ...prompt }, { additionalProperties: false }),
} as const;
