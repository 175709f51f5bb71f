// Checkpoint formats, Node-only part: reading and writing files on disk.
export { readSafetensorsFile, readSafetensorsDir } from './safetensors-file.js';
export { writeGgufFile } from './gguf/write-file.js';
