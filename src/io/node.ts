// Checkpoint formats, Node-only part: reading and writing files on disk.
export { readSafetensorsFile, readSafetensorsDir, writeSafetensorsFile, writeSafetensorsShards } from './safetensors-file.js';
export { openSafetensorsFile, openSafetensorsDir, openGgufFile, readRange, type LazyTensor, type LazyFile, type LazyGguf } from './lazy.js';
export { writeAtomically } from './atomic.js';
export { writeGgufFile } from './gguf/write-file.js';
