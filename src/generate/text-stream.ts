// Generated ids to text as it streams: pieces are released once complete UTF-8, and text that may
// be the start of a stop string is held back until it is known not to be one.

import { StreamDecoder } from '../tokenizer/stream-decode.js';
import type { Tokenizer } from '../tokenizer/types.js';

export class TextStream {
  private readonly decoder: StreamDecoder;
  private readonly stops: string[];
  /** All text so far (cut before a stop string once one is found). */
  text = '';
  /** Characters of text already released. */
  private released = 0;
  /** True once a stop string was found: nothing more is released. */
  stopped = false;

  /**
   * `previous`: the prompt's last id (decoding depends on the previous token: llama2.c drops the
   * space after BOS). `hidden`: ids that add no text (end-of-text).
   */
  constructor(tokenizer: Tokenizer, stops: readonly string[] = [], previous?: number, private readonly hidden: ReadonlySet<number> = new Set()) {
    this.decoder = new StreamDecoder(tokenizer);
    if (previous !== undefined) this.decoder.push(previous);
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds one id; returns the text released by it (possibly ''). */
  push(id: number): string {
    if (this.stopped || this.hidden.has(id)) return '';
    this.text += this.decoder.push(id);
    let cut = -1;
    for (const s of this.stops) {
      const i = this.text.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.stopped = true;
    }
    const ready = this.stopped ? this.text.length : this.text.length - longestStopPrefix(this.text, this.stops);
    return this.release(ready);
  }

  /** Ends the stream: releases held text (an unfinished character as U+FFFD, unless stopped). */
  finish(): string {
    if (!this.stopped) this.text += this.decoder.flush();
    return this.release(this.text.length);
  }

  private release(upTo: number): string {
    if (upTo <= this.released) return '';
    const piece = this.text.slice(this.released, upTo);
    this.released = upTo;
    return piece;
  }
}

/** Length of the longest suffix of text that is a proper prefix of some stop string. */
export function longestStopPrefix(text: string, stops: readonly string[]): number {
  let best = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
      if (text.endsWith(s.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}
