// LoRA adapters: on chosen linear layers, in Hugging Face PEFT's layout. Browser-safe (see ./files.ts for folders).
export { LoraAdapter, createLora, loraScale, peftNames, type LoraConfig, type LoraLayer } from './adapter.js';
export { defaultTargets, linearModules, matchesTarget, selectModules, type LinearModule } from './modules.js';
export { adapterFromPeft, peftConfig, peftFiles, peftTensors } from './peft.js';
