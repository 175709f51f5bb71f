// Streaming a GGUF file to disk (Node only), one tensor at a time, atomically (temp file + rename).

import { writeAll, writeAtomically } from '../atomic.js';
import { buildHeader, encodeTensor, type GgufToWrite } from './write.js';

/** Streams the file to path one tensor at a time (peak memory: one encoded tensor). */
export function writeGgufFile(path: string, spec: GgufToWrite): void {
  const { header, alignment, sizes } = buildHeader(spec);
  writeAtomically(path, (fd) => {
    writeAll(fd, header);
    const zeros = new Uint8Array(alignment);
    spec.tensors.forEach((t, i) => {
      writeAll(fd, encodeTensor(t));
      const pad = (alignment - (sizes[i] % alignment)) % alignment;
      if (pad) writeAll(fd, zeros.subarray(0, pad));
    });
  });
}
