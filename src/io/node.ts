// Checkpoint formats with files on disk (Node only): everything of ./index.ts (bytes), plus
// reading and writing files. `io` in 'glasslm/node' is this module.
export * from './index.js';
export { readSafetensorsFile, readSafetensorsDir, writeSafetensorsFile, writeSafetensorsShards, readShardIndex } from './safetensors-file.js';
export { openSafetensorsFile, openSafetensorsDir, openGgufFile, readRange } from './lazy.js';
export { writeAtomically, writeFileAtomic } from './atomic.js';
export { writeGgufFile } from './gguf/write-file.js';
