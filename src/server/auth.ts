// API key check: the SHA-256 of the presented key and of the real one compared in constant time
// (crypto.timingSafeEqual needs equal lengths; hashing makes them so without leaking the length).

import { createHash, timingSafeEqual } from 'node:crypto';

export class ApiKey {
  private readonly digest: Buffer;

  constructor(key: string) {
    if (key.length === 0) throw new Error('the API key is empty');
    this.digest = createHash('sha256').update(key, 'utf8').digest();
  }

  /** True when the Authorization header is `Bearer <the key>`. */
  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer (.+)$/i.exec(authorization ?? '');
    const given = createHash('sha256').update(m ? m[1].trim() : '', 'utf8').digest();
    return timingSafeEqual(given, this.digest) && m !== null;
  }
}
