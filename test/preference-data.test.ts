// Preference data: both layouts read, and every malformed record is an error naming file, line and key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alpacaPrompt, arrayElementLines, parsePreferenceData, splitPairs } from '../src/preference/data.js';
import { loadPreferenceFile } from '../src/preference/data-file.js';
import { sharedPath, skipUnlessShared } from './shared.js';

test('JSONL pairs: prompt as text or as messages; answers as strings or one assistant turn', () => {
  const text = [
    JSON.stringify({ prompt: 'Say hi.', chosen: 'Hi!', rejected: 'No.' }),
    '',
    JSON.stringify({ messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hello' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: 'Go away.' }),
    JSON.stringify({ instruction: 'Fix it.', input: 'He go.', chosen: 'He goes.', rejected: 'He goes, duh.', output: 'ignored' }),
  ].join('\n');
  const pairs = parsePreferenceData(text, 'p.jsonl');
  assert.equal(pairs.length, 3);
  assert.deepEqual(pairs[0].prompt, { text: 'Say hi.' });
  assert.deepEqual(pairs[1].prompt, { messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hello' }] });
  assert.equal(pairs[1].chosen, 'Hello!');
  assert.deepEqual(pairs[1].source, { file: 'p.jsonl', line: 3 });
  assert.equal((pairs[2].prompt as { text: string }).text,
    'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nFix it.\n\n### Input:\nHe go.\n\n### Response:\n');
  assert.equal(alpacaPrompt('A'), 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nA\n\n### Response:\n');
});

test('malformed records name the file, the line and the key', () => {
  const cases: [string, RegExp][] = [
    ['{"prompt": "a", "chosen": "b"}', /f\.jsonl:2: key 'rejected': is missing$/],
    ['{"prompt": "a", "chosen": 5, "rejected": "c"}', /f\.jsonl:2: key 'chosen': must be a string, got number$/],
    ['{"prompt": "", "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'prompt': is empty$/],
    ['{"chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'prompt': is missing/],
    ['{"prompt": "a", "messages": [], "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'messages': cannot be given together with 'prompt'$/],
    ['{"messages": [{"role": "bot", "content": "x"}], "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'messages\[0\]\.role': must be one of system, user, assistant, got "bot"$/],
    ['{"messages": [{"role": "user", "content": 1}], "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'messages\[0\]\.content': must be a string/],
    ['{"messages": [{"role": "assistant", "content": "x"}], "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'messages': must not end with an assistant turn/],
    ['{"prompt": "a", "chosen": [{"role": "user", "content": "x"}], "rejected": "c"}', /f\.jsonl:2: key 'chosen': as a list must hold exactly one assistant turn$/],
    ['{"instruction": "a", "input": 3, "chosen": "b", "rejected": "c"}', /f\.jsonl:2: key 'input': must be a string, got number$/],
    ['{"prompt": "a", "chosen": "b", "rejected": "c"', /f\.jsonl:2: not valid JSON/],
    ['[1, 2]', /f\.jsonl:2: a record must be a JSON object, got a list$/],
  ];
  const good = '{"prompt": "p", "chosen": "c", "rejected": "r"}';
  for (const [bad, re] of cases) assert.throws(() => parsePreferenceData(`${good}\n${bad}\n${good}`, 'f.jsonl'), re, bad);
  assert.throws(() => parsePreferenceData('\n\n', 'e.jsonl'), /e\.jsonl:1: holds no records/);
});

test('a JSON array names the line on which the bad record starts', () => {
  const text = '[\n  {"instruction": "a", "chosen": "b", "rejected": "c"},\n  {\n    "instruction": "a [x, {y}] \\" ,",\n    "chosen": "b"\n  }\n]\n';
  assert.deepEqual(arrayElementLines(text), [2, 3]);
  assert.throws(() => parsePreferenceData(text, 'a.json'), /a\.json:3: key 'rejected': is missing/);
  assert.throws(() => parsePreferenceData('{"a": 1}', 'o.json'), /o\.json:1: not valid JSON|o\.json:1: key 'prompt'/);
  assert.throws(() => parsePreferenceData('[]', 'z.json'), /z\.json:1: holds no records/);
  assert.throws(() => parsePreferenceData('[{"prompt": "a", "chosen": "b", "rejected": "c"},', 't.json'), /t\.json:1: not valid JSON/);
});

test('a missing file is a clear error; the held-out split takes every k-th pair', () => {
  assert.throws(() => loadPreferenceFile('/nonexistent/prefs.jsonl'), /preference data '\/nonexistent\/prefs\.jsonl' does not exist/);
  const dir = mkdtempSync(join(tmpdir(), 'glasslm-pref-'));
  writeFileSync(join(dir, 'p.jsonl'), '{"prompt": "a", "chosen": "b", "rejected": "c"}\n');
  assert.equal(loadPreferenceFile(join(dir, 'p.jsonl')).length, 1);
  const { train, heldOut } = splitPairs([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.2);
  assert.deepEqual(heldOut, [4, 9]);
  assert.deepEqual(train, [0, 1, 2, 3, 5, 6, 7, 8]);
  assert.throws(() => splitPairs([1], 1), /held-out fraction/);
});

test('instruction-data-with-preference.json: 1,100 pairs, lines located', { skip: skipUnlessShared('data', 'instruct', 'instruction-data-with-preference.json') }, () => {
  const path = sharedPath('data', 'instruct', 'instruction-data-with-preference.json')!;
  const pairs = loadPreferenceFile(path);
  assert.equal(pairs.length, 1100);
  assert.equal(pairs[0].source.line, 2);
  assert.match((pairs[1].prompt as { text: string }).text, /### Instruction:\nEdit the following sentence for grammar\.\n\n### Input:\nHe go to the park every day\.\n\n### Response:\n$/);
  assert.equal(pairs[1].chosen, 'He goes to the park every day.');
  assert.equal(pairs[1].rejected, 'He goes to the stupid park every single day.');
});
