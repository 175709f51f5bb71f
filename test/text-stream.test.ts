// TextStream (ids -> text as it streams, with stop strings): worked examples on the built-in
// model's byte-level BPE vocabulary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_MODEL_DIR } from '../src/cli/model-args.js';
import { TextStream, longestStopPrefix } from '../src/generate/text-stream.js';
import { loadTokenizer } from '../src/node.js';

const tok = loadTokenizer(BUILTIN_MODEL_DIR);

function run(text: string, stops: string[]): { pieces: string[]; stopped: boolean; text: string } {
  const s = new TextStream(tok, stops);
  const pieces = tok.encode(text).map((id) => s.push(id));
  pieces.push(s.finish());
  return { pieces: pieces.filter((p) => p !== ''), stopped: s.stopped, text: s.text };
}

test('without stop strings the pieces add up to the text', () => {
  const r = run('Once upon a time, Lily saw a dog.', []);
  assert.equal(r.pieces.join(''), 'Once upon a time, Lily saw a dog.');
  assert.equal(r.stopped, false);
});

test('a stop string cuts the text before it, and no part of it is ever released', () => {
  const r = run('Once upon a time, Lily saw a dog.', ['Lily']);
  assert.equal(r.text, 'Once upon a time, ');
  assert.equal(r.pieces.join(''), 'Once upon a time, ');
  assert.ok(r.stopped);
  // the earliest of several stop strings wins
  assert.equal(run('Once upon a time, Lily saw a dog.', ['dog', 'time']).text, 'Once upon a ');
});

test('text that only starts like a stop string is held, then released when it is not one', () => {
  const s = new TextStream(tok, ['Lily sat']);
  const out: string[] = [];
  for (const id of tok.encode('Lily saw it')) out.push(s.push(id));
  out.push(s.finish());
  assert.equal(out.join(''), 'Lily saw it');
  assert.equal(out[0], '', '"Lily" is held while it may begin "Lily sat"');
  assert.equal(longestStopPrefix('and Li', ['Lily']), 2);
  assert.equal(longestStopPrefix('and Lx', ['Lily']), 0);
});

test('a character split over two tokens is released whole', () => {
  const s = new TextStream(tok);
  const bytes = new TextEncoder().encode('é');
  const ids = tok.encodeBytes!(bytes);
  const out = ids.map((id) => s.push(id)).join('') + s.finish();
  assert.equal(out, 'é');
});
