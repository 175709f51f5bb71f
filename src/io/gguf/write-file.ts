// Streaming a GGUF file to disk (Node only), one tensor at a time.

import { closeSync, openSync, writeSync } from 'node:fs';
import { buildHeader, encodeTensor, type GgufToWrite } from './write.js';

/** Streams the file to path one tensor at a time (peak memory: one encoded tensor). */
export function writeGgufFile(path: string, spec: GgufToWrite): void {
  const { header, alignment, sizes } = buildHeader(spec);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    const zeros = new Uint8Array(alignment);
    spec.tensors.forEach((t, i) => {
      writeSync(fd, encodeTensor(t));
      const pad = (alignment - (sizes[i] % alignment)) % alignment;
      if (pad) writeSync(fd, zeros, 0, pad);
    });
  } finally {
    closeSync(fd);
  }
}
