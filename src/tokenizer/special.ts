// Special tokens in text: refused unless allowed, split out when allowed.
import type { AllowedSpecial } from './types.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Finds special token strings in text (longest match first at each position). */
export class SpecialMatcher {
  private readonly all: RegExp | undefined;
  private readonly subsets = new Map<string, RegExp | undefined>();

  /** `alwaysAllowed`: added tokens that are not special, which are always split out. */
  constructor(readonly tokens: ReadonlyMap<string, number>, readonly alwaysAllowed: ReadonlySet<string> = new Set()) {
    this.all = SpecialMatcher.compile([...tokens.keys()]);
  }

  private static compile(all: string[]): RegExp | undefined {
    const strings = all.filter((s) => s.length > 0); // the empty string would match everywhere, forever
    if (strings.length === 0) return undefined;
    const sorted = [...strings].sort((a, b) => b.length - a.length);
    return new RegExp(sorted.map(escapeRegExp).join('|'), 'gu');
  }

  private allowedRegExp(allowed: AllowedSpecial): RegExp | undefined {
    if (allowed === 'all') return this.all;
    const names = new Set(this.alwaysAllowed);
    if (allowed !== 'none') {
      for (const s of allowed) {
        if (!this.tokens.has(s)) throw new Error(`allowedSpecial names '${s}', which is not a special token of this vocabulary`);
        names.add(s);
      }
    }
    const key = [...names].sort().join('\u0000');
    if (!this.subsets.has(key)) this.subsets.set(key, SpecialMatcher.compile([...names]));
    return this.subsets.get(key);
  }

  /**
   * Encodes text, turning allowed special token strings into their ids and the text between
   * them with `ordinary`. Throws when a special token that is not allowed appears.
   */
  encode(text: string, allowed: AllowedSpecial, ordinary: (text: string, out: number[]) => void): number[] {
    const out: number[] = [];
    if (!this.all) {
      ordinary(text, out);
      return out;
    }
    const re = this.allowedRegExp(allowed);
    // Refuse any special string that is not allowed (checked on the text between allowed ones).
    const refuse = (segment: string, offset: number): void => {
      if (allowed === 'all') return;
      this.all!.lastIndex = 0;
      const m = this.all!.exec(segment);
      if (m) {
        const token = m[0];
        if (re === undefined || !this.isAllowed(token, re)) {
          throw new Error(
            `text contains the special token '${token}' at character ${offset + m.index}; ` +
              `pass { allowedSpecial: ['${token}'] } (or 'all') to encode it as a special token, ` +
              `or use encodeOrdinary() to encode it as plain text`,
          );
        }
      }
    };
    if (!re) {
      refuse(text, 0);
      ordinary(text, out);
      return out;
    }
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const gap = text.slice(last, m.index);
      refuse(gap, last);
      if (gap.length > 0) ordinary(gap, out);
      out.push(this.tokens.get(m[0])!);
      last = m.index + m[0].length;
    }
    const tail = text.slice(last);
    refuse(tail, last);
    if (tail.length > 0) ordinary(tail, out);
    return out;
  }

  private isAllowed(token: string, re: RegExp): boolean {
    re.lastIndex = 0;
    const m = re.exec(token);
    return m !== null && m[0] === token;
  }
}
