import type { Config, Plan } from '../config.js';
import { LimitExceeded } from '../errors.js';

export function planFor(config: Pick<Config, 'plans'>, tier: string): { tier: string; plan: Plan } {
  return tier === 'pro' ? { tier, plan: config.plans.pro } : { tier: 'free', plan: config.plans.free };
}

export function overLimit(what: string, limit: number, tier: string): LimitExceeded {
  const upgrade =
    tier === 'free' ? ' Delete one you no longer need, or move to the pro plan.' : ' Delete one you no longer need.';
  return new LimitExceeded(`The ${tier} plan allows at most ${limit} ${what}, and you have reached that limit.${upgrade}`);
}
