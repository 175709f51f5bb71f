import type { ModelClient } from '../client';
import type { ModelInfo } from '../protocol';

/** What every view gets: the worker, the open model, and the text the views share. */
export interface ViewProps {
  client: ModelClient;
  info: ModelInfo;
  /** The shared text: the prompt, or the prompt plus what Generate produced. */
  text: string;
  setText(t: string): void;
  /** Called after a view replaced the model (training): re-reads its description. */
  onModel(info: ModelInfo): void;
}
