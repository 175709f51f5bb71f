// The commands new this round (sft, dpo, reward, rl) under the same discipline as `glasslm train`:
// hostile flag values are refused with one line before anything is written; an --out that is a
// file, inside a file or read-only is a clear error; one run owns a folder (a killed run's lock is
// not left stuck); a non-finite loss stops the run and keeps the last checkpoint; and sft killed
// at random moments resumes from a folder whose files all belong to one step, with no temporary
// file of a killed run left once the next run has started.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import { configFromHf } from '../src/models/config.js';
import { loadModel } from '../src/models/load-file.js';
import { Model } from '../src/models/model.js';
import { saveHfModel } from '../src/models/save-file.js';
import * as op from '../src/ops/index.js';
import { runSft, type SftJob } from '../src/sft/run.js';
import { loadTokenizer } from '../src/tokenizer/load-file.js';
import { loadCheckpoint } from '../src/train/checkpoint-file.js';
import { projectRoot } from './shared.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glasslm-hostile-tuning-'));

/** A tiny Llama with the built-in model's vocabulary, saved as a Hugging Face folder. */
function tinyBase(dir: string): string {
  const tok = loadTokenizer(join(projectRoot, 'models', 'builtin', 'tokenizer.json'));
  const config = configFromHf({ model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, tie_word_embeddings: true });
  const path = join(dir, 'base');
  saveHfModel(Model.init(config, new op.Rng(1)), path, tok);
  return path;
}

/** Small data files for every command: prompt/completion records, preference pairs, prompts, a reward function. */
function dataFiles(dir: string) {
  const words = ['cat', 'dog', 'sun', 'tree', 'ball', 'bird', 'fish', 'cake'].flatMap((w) => [w, `big ${w}`, `red ${w}`, `old ${w}`, `wet ${w}`]);
  const sft = join(dir, 'sft.jsonl'), pairs = join(dir, 'pairs.jsonl'), prompts = join(dir, 'prompts.jsonl'), rewardFn = join(dir, 'len.mjs');
  writeFileSync(sft, words.map((w) => JSON.stringify({ prompt: `Say ${w}.`, completion: ` ${w} ${w}.` })).join('\n'));
  writeFileSync(pairs, words.map((w) => JSON.stringify({ prompt: `${w} asked for the ball.`, chosen: ` ${w} said thank you.`, rejected: ` ${w} was mean.` })).join('\n'));
  writeFileSync(prompts, '{"prompt": "Once upon a time"}\n{"prompt": "The dog"}\n');
  writeFileSync(rewardFn, 'export default (p, c) => c.length;');
  return { sft, pairs, prompts, rewardFn };
}

function glasslm(args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args, '--backend', 'cpu'], { encoding: 'utf8', timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The run failed cleanly: exit 1, one error line matching pattern, no stack trace. */
function refused(r: ReturnType<typeof glasslm>, pattern: RegExp, label: string): void {
  assert.equal(r.signal, null, `${label}: killed (${r.signal}), a hang or runaway`);
  assert.equal(r.status, 1, `${label}: exit ${r.status}; stderr: ${r.stderr.slice(-500)}`);
  assert.match(r.stderr, pattern, `${label}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |FATAL|heap/, `${label}: a stack trace or a crash`);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('glasslm'));
  assert.equal(lines.length, 1, `${label}: one error line: ${r.stderr}`);
}

/** The four commands, each with the flags of a one-step run on the tiny base. */
function commands(dir: string, base: string) {
  const f = dataFiles(dir);
  const steps = ['--steps', '1', '--batch-size', '2', '--context', '32', '--eval-interval', '0'];
  return {
    sft: (out: string) => ['sft', '--model', base, '--data', f.sft, '--out', out, '--template', 'plain', ...steps],
    dpo: (out: string) => ['dpo', '--model', base, '--data', f.pairs, '--out', out, ...steps],
    reward: (out: string) => ['reward', '--model', base, '--data', f.pairs, '--out', out, ...steps],
    rl: (out: string) => ['rl', '--model', base, '--prompts', f.prompts, '--reward-fn', f.rewardFn, '--out', out, '--steps', '1', '--batch-size', '1', '--group', '2', '--max-tokens', '4', '--context', '32'],
  };
}

test('sft, dpo, reward, rl: hostile flag values are refused by name with one line, and the --out folder is not created', () => {
  const dir = tmp(), base = tinyBase(dir), cmds = commands(dir, base);
  const shared: [string, string, RegExp][] = [
    ['--steps', '-1', /steps/], ['--steps', '1.5', /steps/], ['--steps', 'NaN', /steps/], ['--batch-size', '0', /batch/], ['--batch-size', '1e400', /batch/],
    ['--context', '0', /context/], ['--context', '1e12', /context/], ['--lr', '-1', /learning rate|lr/], ['--lr', 'Infinity', /lr/], ['--seed', '1.5', /seed/],
    ['--seed', '1e12', /seed/], ['--grad-accum', '0', /gradAccum|grad-accum/], ['--eval-interval', '-3', /evalInterval|eval-interval/],
  ];
  const extra: Record<string, [string, string, RegExp][]> = {
    sft: [['--val-fraction', '1', /val.fraction/], ['--val-fraction', '-0.5', /val.fraction/], ['--lora-rank', '0', /rank/], ['--lora-rank', '1e9', /rank/], ['--lora-dropout', '1', /dropout/], ['--lora-alpha', 'NaN', /alpha/]],
    dpo: [['--beta', '-1', /beta/], ['--held-out', '2', /held.out/], ['--limit', '1.5', /limit/], ['--limit', '-2', /limit/], ['--lora-rank', '-4', /rank/]],
    reward: [['--held-out', '-1', /held.out/], ['--limit', '1.5', /limit/]],
    rl: [['--group', '1', /group/], ['--group', '1e9', /group/], ['--max-tokens', '0', /max.tokens/], ['--temperature', '-1', /temperature/], ['--clip', 'NaN', /clip/], ['--kl', '-1', /KL/], ['--updates', '0', /updates/], ['--limit', '-1', /limit/]],
  };
  for (const [name, make] of Object.entries(cmds)) {
    for (const [flag, value, pattern] of [...shared, ...extra[name]]) {
      const out = join(dir, `${name}${flag}${value}`);
      const args = make(out);
      const at = args.indexOf(flag);
      if (at >= 0) args[at + 1] = value;
      else args.push(flag, value, ...(flag.startsWith('--lora') ? ['--lora'] : []));
      refused(glasslm(args), pattern, `${name} ${flag} ${value}`);
      assert.ok(!existsSync(out), `${name} ${flag} ${value}: ${out} was created`);
    }
  }
});

test('sft, dpo, reward, rl: an --out that is a file, lies inside a file, or cannot be written is refused with a clear message', () => {
  const dir = tmp(), base = tinyBase(dir), cmds = commands(dir, base);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  for (const [name, make] of Object.entries(cmds)) {
    refused(glasslm(make(file)), /a-file.* is a file|not a folder/, `${name} --out FILE`);
    refused(glasslm(make(join(file, 'sub'))), /a-file.* is a file|not a folder/, `${name} --out FILE/sub`);
    // root may write anywhere chmod allows: /proc refuses everyone
    refused(glasslm(make('/proc/glasslm-out')), /cannot create the output folder \/proc\/glasslm-out/, `${name} --out /proc/…`);
  }
});

test('sft, dpo, reward, rl: a non-finite loss stops the run with an error naming the kept checkpoint, whose weights are finite', () => {
  const dir = tmp(), base = tinyBase(dir), cmds = commands(dir, base);
  for (const [name, make] of Object.entries(cmds)) {
    const out = join(dir, `${name}-diverge`);
    const args = make(out);
    args[args.indexOf('--steps') + 1] = '40';
    args.push('--lr', '1e30', '--checkpoint-interval', '1', '--grad-clip', '0', '--warmup', '0');
    const r = glasslm(args);
    refused(r, /(loss became (NaN|-?Infinity)|non-finite).*(last checkpoint in .* \(step \d+\) is kept|no checkpoint was written)/, `${name} --lr 1e30`);
    const kept = /\(step (\d+)\) is kept/.exec(r.stderr);
    if (!kept) continue;
    const state = loadCheckpoint(out);
    assert.equal(state.state.step, Number(kept[1]), `${name}: the folder holds the step the message names`);
    for (const [n, t] of state.params) assert.ok(t.data.every(Number.isFinite), `${name}: ${n} in the training state is finite`);
    assert.ok(!readdirSync(out).some((f) => /\.tmp-\d+$|\.step-\d+$|\.lock$/.test(f)), `${name}: nothing temporary left`);
  }
});

test('sft: one run owns its --out; a second run is refused while the first lives, and a killed run leaves no stuck lock', async () => {
  const dir = tmp(), base = tinyBase(dir), cmds = commands(dir, base);
  const out = join(dir, 'owned');
  const args = cmds.sft(out);
  args[args.indexOf('--steps') + 1] = '100000';
  args.push('--checkpoint-interval', '1');
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'glasslm.js'), ...args, '--backend', 'cpu'], { stdio: 'ignore' });
  try {
    // wait for its first checkpoint
    for (let i = 0; i < 600 && !existsSync(join(out, 'checkpoint.json')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(join(out, 'checkpoint.json')), 'the first run saved a checkpoint');
    const second = glasslm([...cmds.sft(out), '--resume']);
    refused(second, new RegExp(`in use by another training run \\(PID ${child.pid}`), 'a second sft on a folder in use');
    refused(glasslm(cmds.dpo(out)), /in use by another training run/, 'a dpo on a folder in use');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  const before = loadCheckpoint(out).state.step;
  const r = glasslm([...cmds.sft(out).map((a, i, all) => (all[i - 1] === '--steps' ? String(before + 1) : a)), '--resume']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(loadCheckpoint(out).state.step, before + 1, 'the resumed run took the folder over and finished');
  assert.ok(!existsSync(join(out, 'train.lock')), 'the lock is released at the end');
});

/** A fine-tuning job on the tiny base (full weights, or a LoRA adapter), checkpointing every step. */
function sftJob(base: string, data: string, out: string, lora: boolean, steps: number, resume: boolean): SftJob {
  const model = loadModel(base);
  return {
    model, tokenizer: loadTokenizer(base), modelPath: base, data: [data], out, valFraction: 0.25, packing: true, template: 'plain',
    options: { steps, batchSize: 2, contextLength: 32, evalInterval: 0, checkpointInterval: 1, seed: 3, warmupSteps: 0 },
    lora: lora ? { rank: 4, alpha: 8, dropout: 0, targets: 'all-linear' } : undefined, resume,
  };
}

for (const lora of [false, true]) {
  test(`sft${lora ? ' --lora' : ''} killed at random moments: each next run starts from files of one step, with no temporary file of a killed run left`, async () => {
    const dir = tmp(), base = tinyBase(dir), { sft } = dataFiles(dir), out = join(dir, 'run');
    const weights = lora ? 'adapter_model.safetensors' : 'model.safetensors';
    const script = `
      import { loadModel } from ${JSON.stringify(join(projectRoot, 'dist/src/models/load-file.js'))};
      import { loadTokenizer } from ${JSON.stringify(join(projectRoot, 'dist/src/tokenizer/load-file.js'))};
      import { runSft } from ${JSON.stringify(join(projectRoot, 'dist/src/sft/run.js'))};
      const job = ${JSON.stringify({ ...sftJob(base, sft, out, lora, 100000, false), model: undefined, tokenizer: undefined })};
      job.model = loadModel(job.modelPath);
      job.tokenizer = loadTokenizer(job.modelPath);
      job.resume = process.argv[2] === 'resume';
      runSft(job, { onSave: () => process.stdout.write('s') });`;
    writeFileSync(join(dir, 'child.mjs'), script);
    const killed: number[] = [];
    // a seeded spread of kill delays (ms after a save), so that some land mid-write and some between saves
    const delays = [0, 1, 3, 7, 12, 20];
    for (let round = 0; round < delays.length; round++) {
      const child = spawn(process.execPath, [join(dir, 'child.mjs'), round === 0 ? '' : 'resume'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let saves = 0, stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d; });
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          saves += d.length;
          if (saves >= 2 + (round % 3)) setTimeout(() => child.kill('SIGKILL'), delays[round]);
        });
        child.on('exit', () => resolve());
      });
      assert.ok(saves >= 1, `round ${round}: the run saved before it was killed (${stderr.slice(-300)})`);
      // the run that started after the earlier kills has removed their temporary files and step files
      const left = readdirSync(out).filter((f) => killed.some((pid) => f.endsWith(`.tmp-${pid}`)));
      assert.deepEqual(left, [], `round ${round}: temporary files of killed runs remain once the next run has started`);
      killed.push(child.pid!);
    }
    // the next run starts: its folder is of one step (checked by loadCheckpoint), and nothing temporary remains
    const before = loadCheckpoint(out).state.step;
    const { trainer } = runSft(sftJob(base, sft, out, lora, before + 1, true));
    assert.equal(trainer.step, before + 1);
    assert.deepEqual(readdirSync(out).filter((f) => /\.tmp-\d+$|\.step-\d+$|\.lock$/.test(f)), [], 'nothing temporary left');
    const state = loadCheckpoint(out);
    const manifest = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
    assert.equal(manifest.step, state.state.step, 'the manifest names the training state\'s step');
    const saved = readSafetensors(readFileSync(join(out, weights)));
    if (!lora) assert.equal(saved.metadata.step, String(state.state.step), 'model.safetensors is of the training state\'s step');
    // every weight file holds the training state's parameters (the adapter under PEFT's names: compare the values)
    const stateValues = [...state.params.values()].map((t) => Array.from(t.data)).sort((a, b) => a.length - b.length || a[0] - b[0]);
    const fileValues = [...saved.values()].map((t) => Array.from(t.data)).sort((a, b) => a.length - b.length || a[0] - b[0]);
    assert.deepEqual(fileValues, stateValues, `${weights} holds the training state's weights`);
  });
}
