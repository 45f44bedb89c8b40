/** Per-key request limits: a token bucket refilled at `rate` per second, holding at most two seconds' worth. */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; last: number }>();

  constructor(private rate: number) {}

  /** Takes one token for `key`; false when its bucket is empty (the request is refused). */
  take(key: string, now = Date.now()): boolean {
    const rate = this.rate;
    const b = this.buckets.get(key) ?? { tokens: 2 * rate, last: now };
    b.tokens = Math.min(2 * rate, b.tokens + ((now - b.last) / 1000) * rate);
    b.last = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
