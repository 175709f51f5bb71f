// Hostile flags on the command line (with the built-in model): each ends quickly with a one-line
// error naming the flag, writes nothing when refused, and the results that used to be silently
// wrong (truncation, bits per byte, patching identical prompts) are right.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { projectRoot } from './shared.js';

const BUILTIN = join(projectRoot, 'models', 'builtin');
const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-cli-hostile-'));

/** Runs the CLI with a time limit (generous: the machine may be shared); a run past it fails the assertion that follows. */
function glasslm(args: string[], timeout = 90_000) {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args], { encoding: 'utf8', timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The run failed cleanly: exit 1, one error line matching pattern, no stack trace. */
function refused(r: ReturnType<typeof glasslm>, pattern: RegExp, label: string): void {
  assert.equal(r.signal, null, `${label}: killed (${r.signal}), a hang or runaway`);
  assert.equal(r.status, 1, `${label}: exit ${r.status}; stderr: ${r.stderr.slice(-500)}`);
  assert.match(r.stderr, pattern, label);
  assert.doesNotMatch(r.stderr, /\n\s+at |FATAL|heap/, `${label}: a stack trace or a crash`);
}

function textFile(dir: string, text = 'Once upon a time there was a little girl. She liked to play in the park with her dog.\n'.repeat(8)): string {
  const path = join(dir, 'text.txt');
  writeFileSync(path, text);
  return path;
}

test('eval --context 0, -1, 0.5 and 1e9 are refused at once (no endless loop, no shape message)', () => {
  const file = textFile(tmp());
  for (const c of ['0', '-1', '0.5', 'NaN']) refused(glasslm(['eval', '--file', file, '--context', c], 20_000), /--context/, `--context ${c}`);
});

test('--threads beyond the machine is refused before any worker starts; 0 and 1.5 too', () => {
  for (const n of ['1000', '0', '1.5']) refused(glasslm(['generate', 'Hi', '--max-tokens', '1', '--threads', n], 20_000), /--threads/, `--threads ${n}`);
});

test('lens --width must be a small whole number', () => {
  for (const w of ['100000000', '0', '-3', '2.5']) refused(glasslm(['lens', 'Once upon', '--width', w]), /--width/, `--width ${w}`);
});

test('negative numbers parse as values (--temperature -1 is refused for being negative, not as an ambiguous flag) and generate prints nothing when refused', () => {
  for (const [flag, value] of [['--temperature', '-1'], ['--top-k', '-1'], ['--max-tokens', '-5'], ['--top-p', '-0.5']]) {
    const r = glasslm(['generate', 'Hello there', flag, value]);
    refused(r, new RegExp(flag.slice(2).replace('-', '.')), `${flag} ${value}`);
    assert.doesNotMatch(r.stderr, /ambiguous/);
    assert.equal(r.stdout, '', `${flag} ${value}: nothing printed before the error`);
  }
});

test('generate and demo refuse special-token text with a hint to --allow-special, and accept it with the flag', () => {
  for (const cmd of ['generate', 'demo']) {
    const r = glasslm([cmd, 'The end.<|endoftext|>Once', '--max-tokens', '2', '--seed', '1']);
    refused(r, /--allow-special/, `${cmd} without --allow-special`);
    assert.equal(r.stdout, '', `${cmd}: nothing printed before the error`);
    const ok = glasslm([cmd, 'The end.<|endoftext|>Once', '--max-tokens', '2', '--seed', '1', '--allow-special']);
    assert.equal(ok.status, 0, ok.stderr);
  }
  const j = glasslm(['generate', '<|endoftext|>Once', '--max-tokens', '1', '--allow-special', '--json', '--temperature', '0']);
  assert.equal(j.status, 0, j.stderr);
  assert.equal(JSON.parse(j.stdout).prompt_ids[0], 4095, 'the special token became its id');
});

test('generate --truncate keeps room to generate, and its JSON lists the ids actually used', () => {
  const tok = loadTokenizer(BUILTIN);
  const prompt = Array.from({ length: 60 }, (_, i) => `Tom saw ${i} red birds.`).join(' ');
  const all = tok.encode(prompt);
  assert.ok(all.length > 256, `the prompt is longer than the 256-token window (${all.length})`);
  const r = glasslm(['generate', prompt, '--truncate', '--json', '--max-tokens', '20', '--temperature', '0']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.notEqual(out.stop_reason, 'context_full');
  assert.ok(out.prompt_ids.length + 20 <= 256, `the prompt was cut to leave room for 20 tokens: ${out.prompt_ids.length}`);
  assert.deepEqual(out.prompt_ids, all.slice(all.length - out.prompt_ids.length), 'prompt_ids are the kept tail of the prompt');
  if (out.stop_reason === 'max_tokens') assert.equal(out.ids.length, 20);
  // asking for more new tokens than the window holds is refused, not truncated to nothing
  refused(glasslm(['generate', prompt, '--truncate', '--max-tokens', '300']), /max-tokens|context/, '--max-tokens 300 with --truncate');
});

test('eval counts bits per byte over the bytes of the file, also when it is not valid UTF-8', () => {
  const dir = tmp();
  const text = 'Once upon a time there was a little girl. She liked to play in the park.\n'.repeat(4);
  const raw = new Uint8Array([...Buffer.from(text.slice(0, 100)), ...new Array(40).fill(0xff), ...Buffer.from(text.slice(100))]);
  const file = join(dir, 'bad.txt');
  writeFileSync(file, raw);
  const r = glasslm(['eval', '--file', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const size = statSync(file).size;
  // every byte but those of the first token is predicted: at most the file's bytes, never the 3-byte U+FFFD per bad byte
  assert.ok(out.bytes <= size && out.bytes >= size - 16, `bytes ${out.bytes} for a ${size}-byte file`);
});

test('patch with identical prompts says so instead of printing a grid of NaN', () => {
  refused(glasslm(['patch', '--clean', 'Once upon a time', '--corrupted', 'Once upon a time']), /same|identical/, 'identical prompts');
  refused(glasslm(['patch', '--clean', 'Once upon a time', '--corrupted', 'Once upon a time', '--answer', '#5', '--wrong', '#6']), /same|identical/, 'identical prompts with answer and wrong');
});

test('train refuses absurd or zero sizes before writing anything; vectors train refuses --dim 0, --epochs -1, --window 0', () => {
  const dir = tmp(), data = textFile(dir);
  for (const [flag, value, pattern] of [
    ['--layers', '100000', /memory|layers/], ['--layers', '0', /layers/], ['--dim', '0', /width|dim/], ['--heads', '0', /heads/],
    ['--context', '0', /context/], ['--steps', '-1', /steps/], ['--batch-size', '0', /batch/], ['--dim', '1000000', /memory|width/],
  ] as const) {
    const out = join(dir, `run${flag}${value}`);
    refused(glasslm(['train', '--data', data, '--out', out, '--char', flag, value, '--steps', flag === '--steps' ? value : '2']), pattern, `train ${flag} ${value}`);
    assert.ok(!existsSync(out), `train ${flag} ${value}: ${out} was written`);
  }
  // sizes the architecture has no place for are refused, not dropped
  for (const [extra, pattern] of [[['--experts', '4'], /are for mixtral and qwen2_moe, not gpt2/], [['--kv-heads', '1'], /gpt2 has no grouped-query attention/]] as const) {
    const out = join(dir, `run-gpt2${extra[0]}`);
    refused(glasslm(['train', '--data', data, '--out', out, '--char', '--arch', 'gpt2', '--layers', '1', '--heads', '2', '--dim', '16', '--context', '16', '--steps', '1', ...extra]), pattern, `train --arch gpt2 ${extra.join(' ')}`);
    assert.ok(!existsSync(out), `train --arch gpt2 ${extra.join(' ')}: ${out} was written`);
  }
  for (const [flag, value] of [['--dim', '0'], ['--epochs', '-1'], ['--window', '0'], ['--negative', '-2'], ['--min-count', '0'], ['--dim', '1e9']]) {
    const out = join(dir, `vec${flag}${value}.txt`);
    refused(glasslm(['vectors', 'train', '--file', data, '--out', out, flag, value]), new RegExp(flag.slice(2).replace('-', '.')), `vectors ${flag} ${value}`);
    assert.ok(!existsSync(out), `vectors ${flag} ${value}: ${out} was written`);
  }
});

test('train --config that is not an object of objects is refused by name, before anything is written', () => {
  const dir = tmp(), data = textFile(dir);
  for (const json of ['null', '[]', '5', '{"model": null}', '{"model": 5}', '{"train": [1]}', '{"model": {"layers": "4"}}']) {
    const cfg = join(dir, 'cfg.json'), out = join(dir, 'run-cfg');
    writeFileSync(cfg, json);
    refused(glasslm(['train', '--data', data, '--out', out, '--char', '--config', cfg]), /--config|layers/, `--config ${json}`);
    assert.ok(!existsSync(out), `--config ${json}: ${out} was written`);
  }
});

test('inspection flags out of range fail by name in the user\'s terms: compare --k 0, attention --query=-10, attribute --position=-10; attribute --top 0 shows every part', () => {
  refused(glasslm(['compare', '--b', BUILTIN, '--prompt', 'Once', '--k', '0', '--threads', '1']), /--k must be a whole number from 1 to 50, got '0'/, 'compare --k 0');
  refused(glasslm(['attention', 'Once', 'upon', 'a', '--query=-10', '--threads', '1']), /--query -10 is outside the prompt's 4 positions/, 'attention --query=-10');
  refused(glasslm(['attribute', 'Once', 'upon', 'a', '--position=-10', '--threads', '1']), /--position -10 is outside the prompt's 4 positions/, 'attribute --position=-10');
  const last = glasslm(['attribute', 'Once', 'upon', 'a', '--position=-1', '--json', '--threads', '1']);
  assert.equal(last.status, 0, last.stderr);
  assert.equal(JSON.parse(last.stdout).position, 3, '-1 is the last position');
  const all = glasslm(['attribute', 'Once', '--top', '0', '--threads', '1']);
  assert.equal(all.status, 0, all.stderr);
  const parts = JSON.parse(glasslm(['attribute', 'Once', '--json', '--threads', '1']).stdout).parts.length;
  assert.equal(all.stdout.split('\n').filter((l) => l.includes('│')).length, parts, '--top 0: one bar per part');
});

test('inspection prompts with special-token text: refused with a hint to --allow-special (not a library call), read as the token with it; a special token names itself as --target; no colour codes into a pipe', () => {
  const eot = loadTokenizer(BUILTIN).specialTokens.get('<|endoftext|>')!;
  for (const cmd of [['lens'], ['attention'], ['attribute'], ['neurons']]) {
    const r = glasslm([...cmd, 'a<|endoftext|>b', '--threads', '1']);
    refused(r, /special token "<\|endoftext\|>" at character 1: allow special tokens \(--allow-special\)/, `${cmd[0]} with special text`);
    assert.doesNotMatch(r.stderr, /allowedSpecial|encodeOrdinary/, 'no library call in a CLI message');
  }
  const allowed = glasslm(['lens', 'a<|endoftext|>b', '--allow-special', '--json', '--threads', '1']);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.ok(JSON.parse(allowed.stdout).ids.slice(1).includes(eot), 'the text became the special token');
  const target = glasslm(['lens', 'Once', '--target', '<|endoftext|>', '--json', '--threads', '1']);
  assert.equal(target.status, 0, target.stderr);
  assert.equal(JSON.parse(target.stdout).target.id, eot);
  for (const cmd of [['lens', 'Once upon'], ['attention', 'Once upon'], ['attribute', 'Once upon'], ['patch', '--clean', 'Lily saw a cat', '--corrupted', 'Lily saw a dog']]) {
    const piped = glasslm([...cmd, '--threads', '1']);
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stdout, /\x1b\[/, `${cmd[0]}: no ANSI escapes when stdout is not a terminal`); // eslint-disable-line no-control-regex
  }
});

test('--lora DIR:S with a scale that is not a number names the scale (not "holds no adapter"); demo refuses a prompt beyond the context before printing it', () => {
  const dir = tmp();
  refused(glasslm(['merge', '--lora', `${dir}:abc`, '--out', join(dir, 'out')]), /the scale after ':' must be a number, got 'abc'/, '--lora DIR:abc');
  const long = glasslm(['demo', 'word '.repeat(400), '--threads', '1']);
  refused(long, /the prompt is \d+ tokens; this model's context window is \d+ tokens.*give a shorter prompt/, 'demo with a long prompt');
  assert.equal(long.stdout, '', 'nothing printed before the refusal');
});
