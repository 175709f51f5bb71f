// Story instructions: the tasks a story gives, and the two measures, on hand-written examples.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersWho, judgeStories, mainCharacter, pickWords, requestedWords, splitStories, storyTasks, wordsUsed } from '../src/sft/stories.js';
import * as op from '../src/ops/index.js';

const STORY = 'One day, a little girl named Lily found a needle in her room. She wanted to share the needle with her mom, so she could sew a button on her shirt.';

test('a story gives a words task, an about task and a who task, answered from the story', () => {
  assert.deepEqual(splitStories(`${STORY}\n<|endoftext|>\nTom ran.\n<|endoftext|>\n`), [STORY, 'Tom ran.']);
  assert.equal(mainCharacter(STORY), 'Lily');
  assert.equal(mainCharacter('Tom ran.'), undefined);
  const words = pickWords(STORY, 3, new op.Rng(1));
  assert.equal(words.length, 3);
  for (const w of words) assert.ok(new RegExp(`\\b${w}\\b`).test(STORY) && !['little', 'named', 'wanted'].includes(w), w);
  const tasks = storyTasks(STORY, new op.Rng(1));
  assert.deepEqual(tasks.map((t) => t.kind), ['words', 'about', 'who']);
  assert.equal(tasks[0].messages[0].content, `Write a story that uses the words: ${words.join(', ')}.`);
  assert.equal(tasks[0].messages[1].content, STORY);
  assert.equal(tasks[1].messages[0].content, 'Write a story about Lily.');
  assert.deepEqual(tasks[2].messages, [{ role: 'user', content: `${STORY}\n\nWho is this story about?` }, { role: 'assistant', content: 'Lily.' }]);
});

test('measures: requested words used (whole words, any case) and who answers', () => {
  assert.equal(wordsUsed('The Needle was sharp. A button fell.', ['needle', 'button', 'share']), 2 / 3);
  assert.equal(wordsUsed('needles everywhere', ['needle']), 0);
  assert.equal(answersWho('Lily.', 'Lily'), true);
  assert.equal(answersWho('The story is about lily and her mom.', 'Lily'), true);
  assert.equal(answersWho('Lilypad.', 'Lily'), false);
});

test('the judge prefers the story using more of the requested words, and ties are ties', () => {
  const ask = 'Write a story that uses the words: needle, button, share.';
  assert.deepEqual(requestedWords(ask), ['needle', 'button', 'share']);
  assert.equal(requestedWords('Write a story about Lily.'), undefined);
  assert.equal(judgeStories(ask, 'She found a needle and a button.', 'She found a needle.'), 1);
  assert.equal(judgeStories(ask, 'A dog.', 'They share a Button.'), -1);
  assert.equal(judgeStories(ask, 'The needle.', 'A button!'), 0);
  assert.throws(() => judgeStories('Who is this story about?', 'a', 'b'), /only rates instructions that ask for words/);
});
