/**
 * Timeouts and circuit breakers that tell a slow machine from a dead peer.
 *
 * A timer measured inside the event loop can't tell "the peer did not answer" from "we did not look": when the
 * loop lags (CPU throttling, a noisy neighbour, a GC pause), the timeout fires while the answer already waits in
 * the socket, because Node runs timers before it polls sockets. Two rules follow:
 *   1. decide a timeout one loop turn later (setImmediate runs after the poll phase), so an answer that arrived
 *      in time wins;
 *   2. a timeout whose timer itself fired late by more than half its budget is "inconclusive": it fails the call,
 *      but it is not held against the peer (the breaker does not count it).
 */

export type Settled<T> =
  | { ok: true; value: T }
  | { ok: false; error: unknown; timedOut: false }
  | { ok: false; timedOut: true; /** how late the timer fired: our own event-loop lag, not the peer's */ lagMs: number };

/** Races `p` against `ms` without ever rejecting; see the module comment for how a timeout is decided. */
export function settle<T>(p: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const armedAt = performance.now();
    let done = false;
    const timer = setTimeout(() => {
      const lagMs = Math.max(0, performance.now() - armedAt - ms);
      setImmediate(() => {
        if (done) return;
        done = true;
        resolve({ ok: false, timedOut: true, lagMs });
      });
    }, ms);
    p.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ok: false, error, timedOut: false });
      },
    );
  });
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Closed → (N consecutive failures of the peer) → open: calls are skipped for `cooldownMs` → half-open: one
 * probe; success closes, failure re-opens. Stops every request paying a dead peer's timeout.
 * `failure()` is the peer's fault (refused, reset, or no answer while we were responsive); `inconclusive()` is a
 * timeout explained by our own lag: it neither counts towards opening nor resets the count.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && performance.now() - this.openedAt >= this.cooldownMs) this.set('half-open');
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }
  success() {
    this.failures = 0;
    this.probing = false;
    if (this.state !== 'closed') this.set('closed');
  }
  failure() {
    this.failures++;
    this.probing = false;
    if (this.state === 'half-open' || this.failures >= this.threshold) {
      this.openedAt = performance.now();
      if (this.state !== 'open') this.set('open');
    }
  }
  inconclusive() {
    this.probing = false; // a half-open probe that timed out on our lag: let the next call probe again
  }
  /** Records a settled call: success, the peer's failure, or a timeout explained by our own lag. */
  record(s: Settled<unknown>, timeoutMs: number) {
    if (s.ok) this.success();
    else if (s.timedOut && s.lagMs > timeoutMs / 2) this.inconclusive();
    else this.failure();
  }
  private set(s: BreakerState) {
    this.state = s;
    this.onChange(s);
  }
}
