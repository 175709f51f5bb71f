// Supervised fine-tuning: data formats, assistant-only targets, packing, batches.
export { alpacaPrompt, parseSftText, recordToExample, type SftExample } from './records.js';
export { encodeExample, encodeExamples, maskedTargets, type EncodeReport, type SftSequence } from './encode.js';
export { packSequences, sampleRows, type PackedRows } from './pack.js';
export { holdOut, sftBatches } from './batches.js';
export { choiceLogLikelihoods, completionLoss, parseChoiceQuestions, scoreChoices, type ChoiceQuestion, type ChoiceResult } from './evaluate.js';
export { answersWho, mainCharacter, pickWords, splitStories, storyTasks, wordsUsed, type StoryTask, type StoryTaskKind } from './stories.js';
