// glasslm's Node entry ('glasslm/node'): everything of the browser-safe main entry (./index.ts),
// plus what needs a file system: loading and saving models and tokenizers by path, training
// checkpoints in folders, training jobs over text files. The CLI is built on this.
//
//   import { loadModel, loadTokenizer, generateText } from 'glasslm/node';
//   const model = loadModel('path/to/model');            // HF folder, .gguf or llama2.c .bin
//   const tok = loadTokenizer('path/to/model');
//   console.log(generateText(model, tok, 'Once upon a time', { temperature: 0 }).text);

export * from './index.js';

// models by path
export { loadModel, loadHfModel, loadGgufModel, loadLlama2cModel, describeCheckpoint } from './models/load-file.js';
export { saveHfModel, saveGgufModel } from './models/save-file.js';

// tokenizers by path
export { loadTokenizer, saveTokenizer, saveHfJson, loadHfJson, loadGpt2Files, loadGguf, loadLlama2c } from './tokenizer/load-file.js';

// training with folders: Trainer here adds save(dir) and Trainer.resume(dir) (it shadows the main entry's)
export { Trainer } from './train/trainer-file.js';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint-file.js';
export { tokenizeFile } from './train/data-file.js';
export { runTraining, type TrainJob, type TrainEvents, type TokenizerSpec } from './train/run.js';

// checkpoint formats with file helpers (shadows the main entry's bytes-only io)
export * as io from './io/node.js';
