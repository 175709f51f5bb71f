// Instructions made from stories, in the spirit of TinyStoriesInstruct: for each story,
//   "Write a story that uses the words: needle, button, share."  -> the story
//   "Write a story about Lily."                                   -> the story
//   "<story>\n\nWho is this story about?"                         -> "Lily."
// with the words picked from the story and the name taken from "named X". The answers come from
// the stories themselves, so no other model is involved.

import type { ChatMessage } from '../chat/template.js';
import type { Rng } from '../ops/random.js';
import { splitDocuments } from '../train/documents.js';

export type StoryTaskKind = 'words' | 'about' | 'who';

export interface StoryTask {
  kind: StoryTaskKind;
  messages: ChatMessage[]; // user, assistant
  /** words: the requested words; who/about: the main character. */
  words?: string[];
  name?: string;
}

/** Stories of a TinyStories file: the text between <|endoftext|> markers, trimmed, non-empty. */
export function splitStories(text: string): string[] {
  return splitDocuments(text).map((d) => d.text);
}

const STOP = new Set(('about above after again always because before being below between could didn\'t does doing during each every from have having here into just like little made make many more most much never once only other over same should some such than that their them then there these they this those through under until very want wanted were what when where which while with would your said says went came come look looked felt feel very also another around away back down even going good great happy knew know play played saw see small big time day days one two three thing things something anything everything inside outside together both upon lots best first last next really toward told tell took take gave give asked ask heard hear found find thought think loved love liked help helped named name mom mommy dad daddy friend friends').split(/\s+/));

/** The main character: the name after the first "named", or undefined. */
export function mainCharacter(story: string): string | undefined {
  return /\bnamed ([A-Z][a-z]+)/.exec(story)?.[1];
}

/** Up to n distinct content words of the story (lowercase letters, 4-10 long, not common words), chosen with rng. */
export function pickWords(story: string, n: number, rng: Rng): string[] {
  const seen = new Set<string>();
  for (const m of story.matchAll(/\b[a-z]{4,10}\b/g)) if (!STOP.has(m[0])) seen.add(m[0]);
  const pool = [...seen];
  const out: string[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(rng.int(pool.length), 1)[0]);
  return out;
}

/** The tasks one story gives (words always; about and who when it names its main character). */
export function storyTasks(story: string, rng: Rng): StoryTask[] {
  const tasks: StoryTask[] = [];
  const words = pickWords(story, 3, rng);
  if (words.length === 3) tasks.push({ kind: 'words', words, messages: [{ role: 'user', content: `Write a story that uses the words: ${words.join(', ')}.` }, { role: 'assistant', content: story }] });
  const name = mainCharacter(story);
  if (name) {
    tasks.push({ kind: 'about', name, messages: [{ role: 'user', content: `Write a story about ${name}.` }, { role: 'assistant', content: story }] });
    tasks.push({ kind: 'who', name, messages: [{ role: 'user', content: `${story}\n\nWho is this story about?` }, { role: 'assistant', content: `${name}.` }] });
  }
  return tasks;
}

/** The fraction of `words` that appear in `text` as whole words (case-insensitive). */
export function wordsUsed(text: string, words: readonly string[]): number {
  const present = new Set((text.toLowerCase().match(/[a-z]+/g) ?? []));
  return words.filter((w) => present.has(w.toLowerCase())).length / words.length;
}

/** Whether a "who" answer names the character. */
export function answersWho(answer: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`, 'i').test(answer);
}

/** The words a "Write a story that uses the words: a, b, c." instruction asks for, or undefined. */
export function requestedWords(instruction: string): string[] | undefined {
  const m = /uses the words: ([^.\n]+)\.?\s*$/.exec(instruction.trim());
  if (!m) return undefined;
  const words = m[1].split(',').map((w) => w.trim()).filter((w) => /^[A-Za-z]+$/.test(w));
  return words.length > 0 ? words : undefined;
}

/**
 * The judge that stands in for human raters in the preference demonstration: of two stories for an
 * instruction asking for certain words, the one that uses more of them is preferred; +1 when `a`
 * wins, -1 when `b` wins, 0 for a tie (ties are dropped).
 */
export function judgeStories(instruction: string, a: string, b: string): 1 | 0 | -1 {
  const words = requestedWords(instruction);
  if (!words) throw new Error(`the judge only rates instructions that ask for words, got ${JSON.stringify(instruction.slice(0, 80))}`);
  const d = wordsUsed(a, words) - wordsUsed(b, words);
  return d > 0 ? 1 : d < 0 ? -1 : 0;
}
