// Checkpoint formats, browser-safe part (no node:fs): parsers and writers over bytes, and lazy
// tensors over bytes in memory. File loaders are in ./node.js.
export type { NamedTensor } from './types.js';
export { numel, checkTensor } from './types.js';
export { readSafetensors, readSafetensorsHeader, writeSafetensors, type SafetensorsMap } from './safetensors.js';
export { readLlama2c, llama2cToHfConfig, type Llama2cConfig, type Llama2cCheckpoint } from './llama2c.js';
export { writeLlama2c } from './llama2c-write.js';
export { interleavedToHalves, halvesToInterleaved } from './permute.js';
export { f16ToF32, f32ToF16, f32ToBF16 } from './half.js';
export { GgmlType, GgufType, GGML_TYPES } from './gguf/constants.js';
export { gguf, metaInt, metaFloat, metaString, metaBool, metaArray, type GgufMetadata, type GgufValue } from './gguf/metadata.js';
export { parseGguf, readGguf, readGgufTensor, type GgufFile, type GgufTensorInfo } from './gguf/read.js';
export { writeGguf, type GgufToWrite, type GgufTensorToWrite } from './gguf/write.js';
export { dequantizeQ4_0, dequantizeQ8_0, dequantizeQ4_K, dequantizeQ6_K, quantizeQ8_0, quantizeQ4_0 } from './gguf/quants.js';
export { hfToGgufName, ggufToHfName, hfTensorsToGguf, ggufTensorsToHf, type GgufArch } from './gguf/names.js';
export { hfConfigToGgufMetadata, ggufMetadataToHfConfig, hfArch, hfHeadCounts } from './gguf/config.js';
export { openSafetensorsBytes, openSafetensorsFiles, openGgufBytes, parseShardIndex, type LazyTensor, type LazyFile, type LazyGguf } from './lazy-bytes.js';
export { filesByName, type FileMap } from './files.js';
