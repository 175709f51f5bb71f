// Prometheus metrics (prom-client, on a registry of our own): requests by route and status, prompt
// and generated tokens, queue depth, running sequences, cancellations, time to first token and
// time per output token.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'glasslm_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'status'], registers: [this.registry] });
  readonly promptTokens = new Counter({ name: 'glasslm_prompt_tokens_total', help: 'Prompt tokens read', registers: [this.registry] });
  readonly generatedTokens = new Counter({ name: 'glasslm_generated_tokens_total', help: 'Tokens generated', registers: [this.registry] });
  readonly cancelled = new Counter({ name: 'glasslm_cancelled_requests_total', help: 'Generations stopped because the client went away or the deadline passed', labelNames: ['reason'], registers: [this.registry] });
  readonly rejected = new Counter({ name: 'glasslm_rejected_requests_total', help: 'Requests refused with 429 because the queue was full', registers: [this.registry] });
  readonly ttft = new Histogram({
    name: 'glasslm_time_to_first_token_seconds', help: 'Time from a request arriving to its first generated token',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });
  readonly tpot = new Histogram({
    name: 'glasslm_time_per_output_token_seconds', help: 'Time between generated tokens of one sequence',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [this.registry],
  });

  /** queueDepth(): sequences waiting for a row; running(): sequences decoding; both read at scrape time. */
  constructor(queueDepth: () => number, running: () => number) {
    new Gauge({ name: 'glasslm_queue_depth', help: 'Sequences waiting for a free row', registers: [this.registry], collect() { this.set(queueDepth()); } });
    new Gauge({ name: 'glasslm_running_sequences', help: 'Sequences decoding now', registers: [this.registry], collect() { this.set(running()); } });
    new Gauge({ name: 'glasslm_resident_memory_bytes', help: 'Resident memory of the server process (HTTP thread and model workers)', registers: [this.registry], collect() { this.set(process.memoryUsage.rss()); } });
  }
}
