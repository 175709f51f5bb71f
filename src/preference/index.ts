// Learning from preferences (browser-safe part): preference data, completion log-probabilities,
// DPO / IPO / hinge and Bradley–Terry losses, the reference policy, the DPO, reward-model and GRPO
// loops, reward sources, and before/after comparison. Jobs that read and write files are in
// glasslm/node (runDpo, runRewardTraining, runGrpo, loadPreferenceFile, loadRewardModule).
export { alpacaPrompt, parsePreferenceData, parsePreferenceJsonl, parsePreferenceJsonArray, parsePromptData, splitPairs, PreferenceDataError, type PreferencePair, type PreferencePrompt, type PromptRecord, type ChatTurn } from './data.js';
export { encodeExample, completionBatch, completionTokenLogProbs, sequenceLogProbs, promptText, type TokenizedExample, type CompletionBatch, type PromptRenderer } from './logprobs.js';
export { preferenceLoss, preferenceStats, pairLoss, bradleyTerryLoss, PREFERENCE_LOSSES, type PreferenceLossType, type PreferenceStats } from './losses.js';
export { CopyReference, AdapterOffReference, frozenCopy, referenceLogProbs, type Reference } from './reference.js';
export { DpoTrainer, type DpoSettings, type DpoStepReport, type TokenizedPair } from './dpo-trainer.js';
export { RewardModel, SCORE_WEIGHT } from './reward-model.js';
export { groupAdvantages, grpoLoss, type GrpoSettings } from './grpo-loss.js';
export { GrpoTrainer, type GrpoOptions, type GrpoStepReport, type RlPrompt } from './grpo-trainer.js';
export { rewardFromFunction, rewardFromModel, type RewardSource, type RewardFunction } from './reward-source.js';
export { compareModels, type Comparison, type ModelSide, type CompareOptions } from './compare.js';
