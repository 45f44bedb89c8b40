/**
 * Per-key rate limits: a token bucket per API key (a burst, refilled at a steady rate). A refused request is told
 * how long until it would pass (HTTP 429 with Retry-After).
 */
export interface RateLimitOptions {
  /** Sustained requests per second per key. Default 20. */
  perSecond: number;
  /** Requests a key may make at once. Default 40. */
  burst: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitOptions = { perSecond: 20, burst: 40 };

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(readonly options: RateLimitOptions = RATE_LIMIT_DEFAULTS) {}

  /** 0 when the request may pass (and is counted), else the seconds until it would. */
  take(key: string, now = Date.now()): number {
    const { perSecond, burst } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / perSecond;
  }
}
