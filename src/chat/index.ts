// Chat templates (shared by SFT, `glasslm chat` and the server). Browser-safe: no file access.
export { ChatTemplate, checkMessages, type ChatMessage, type ChatTemplateTokens, type RenderOptions } from './template.js';
export { chatTemplateFromTokenizerConfig, chatTemplateFromGguf, tokenizerConfigFields } from './sources.js';
export { DEFAULT_CHAT_TEMPLATE, DEFAULT_CHAT_TOKENS, IM_END, IM_START, PLAIN_CHAT_TEMPLATE, defaultChatTemplate, plainChatTemplate } from './default.js';
export { assistantSpans, chatStopTokens, checkNoSpecialText, encodeChat, encodeConversation, type EncodedConversation } from './encode.js';
export { addChatTokens, type ChatTokensResult } from './add-tokens.js';
export { ChatSession, type ChatSessionOptions, type ChatTurn } from './session.js';
