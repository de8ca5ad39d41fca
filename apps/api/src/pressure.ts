import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Load shedding on event-loop delay that tells our own overload from a slow machine.
 *
 * A long event-loop delay has two causes: this process has more work than one core can do (shedding helps), or
 * the machine is slow — CPU throttling of the pod, a noisy neighbour, being descheduled (shedding only turns
 * answerable requests, cached reads included, into 503s). Event-loop utilization tells them apart: time spent
 * waiting for the OS while descheduled counts as idle, so a busy machine shows delay with low utilization,
 * while an overloaded process shows both. We shed when the mean delay of a 1 s window is over the limit AND the
 * loop was busy for at least 90 % of it. Sampling starts when the server listens: start-up work (compiling
 * schemas) is neither.
 */
export interface PressureSample {
  delayMs: number;
  utilization: number;
}

export const MIN_UTILIZATION_TO_SHED = 0.9;

export function isOverloaded(s: PressureSample, maxDelayMs: number, minUtilization = MIN_UTILIZATION_TO_SHED): boolean {
  return maxDelayMs > 0 && s.delayMs > maxDelayMs && s.utilization >= minUtilization;
}

export class LoadGuard {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private elu = performance.eventLoopUtilization();
  private timer?: NodeJS.Timeout;
  last: PressureSample = { delayMs: 0, utilization: 0 };
  shedding = false;

  constructor(
    private readonly maxDelayMs: number,
    private readonly sampleMs = 1000,
  ) {}

  start() {
    if (this.maxDelayMs <= 0 || this.timer) return;
    this.histogram.enable();
    this.elu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  sample() {
    const now = performance.eventLoopUtilization();
    const mean = this.histogram.mean / 1e6 - 10; // minus the sampling resolution, as @fastify/under-pressure does
    this.last = { delayMs: Number.isNaN(mean) ? Infinity : Math.max(0, mean), utilization: performance.eventLoopUtilization(now, this.elu).utilization };
    this.elu = now;
    this.histogram.reset();
    this.shedding = isOverloaded(this.last, this.maxDelayMs);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.histogram.disable();
  }
}
