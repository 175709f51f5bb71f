// Streaming decode: one token id at a time, never emitting half a UTF-8 character.
//
// A token can end in the middle of a multi-byte character (GPT-2 splits '😀' into two tokens
// with 2 bytes each). The bytes are held until the character is complete. At the end,
// flush() emits whatever is left as U+FFFD, as TextDecoder does.
//   const sd = new StreamDecoder(tok);
//   for (const id of ids) process.stdout.write(sd.push(id));
//   process.stdout.write(sd.flush());
import type { Tokenizer } from './types.js';

export class StreamDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private prev: number | undefined;

  constructor(private readonly tokenizer: Tokenizer) {}

  /** Adds one token; returns the text that is now complete (possibly ''). */
  push(id: number): string {
    const bytes = this.tokenizer.pieceBytes(id, this.prev);
    this.prev = id;
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: returns held bytes of an unfinished character as U+FFFD, and resets. */
  flush(): string {
    this.prev = undefined;
    return this.decoder.decode();
  }
}
