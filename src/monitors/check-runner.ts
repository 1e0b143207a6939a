// Runs checks on demand: a saved monitor (its result is stored like any
// scheduled one) or an unsaved definition (nothing is written).

import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { InvalidInput } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { MonitorsStore } from '../store/monitors.js';
import type { Tables } from '../store/schema.js';
import { type CheckResult, runCheck } from './checks.js';
import { buildDefinition, type MonitorDefinition, type MonitorInput, secretRefs } from './definition.js';
import { planFor } from './plans.js';
import { evaluateRules } from './rule-engine.js';
import type { SecretService } from './secrets.js';
import { MonitorNotFound, type Owner } from './service.js';
import { definitionOf } from './views.js';

export interface CheckRunnerDeps {
  db: Kysely<Tables>;
  monitors: MonitorsStore;
  secrets: SecretService;
  config: Pick<Config, 'plans' | 'allowPrivateTargets'>;
}

export class CheckRunner {
  constructor(private readonly deps: CheckRunnerDeps) {}

  private run(owner: Owner, def: MonitorDefinition, signal?: AbortSignal): Promise<CheckResult> {
    return runCheck(def, {
      allowPrivate: this.deps.config.allowPrivateTargets,
      ...(signal ? { signal } : {}),
      secret: (name) => this.deps.secrets.reveal(owner, name),
    });
  }

  async runSaved(owner: Owner, id: string, signal?: AbortSignal): Promise<CheckResult> {
    const row = await this.deps.monitors.find(owner.userId, id);
    if (!row) throw new MonitorNotFound();
    const def = definitionOf(row);
    const result = await this.run(owner, def, signal);
    if (signal?.aborted) return result;
    await this.deps.monitors.recordResult(owner.userId, id, {
      id: newId(),
      user_id: owner.userId,
      monitor_id: id,
      checked_at: result.checkedAt,
      status: result.status,
      latency_ms: result.latencyMs,
      status_code: result.statusCode,
      value: result.value,
      error: result.error,
    });
    await evaluateRules(this.deps.db, { id, user_id: owner.userId, name: row.name }, Date.now());
    return result;
  }

  /** Tests a definition before it is created: validated like create_monitor, run once, nothing stored. */
  async runUnsaved(owner: Owner, input: MonitorInput, signal?: AbortSignal): Promise<CheckResult> {
    const { plan } = planFor(this.deps.config, owner.tier);
    const def = buildDefinition({ name: input.name ?? 'unsaved check', ...input }, { intervalSeconds: plan.minIntervalSeconds });
    const refs = secretRefs(def);
    for (const name of refs) {
      if ((await this.deps.secrets.reveal(owner, name)) === undefined) {
        throw new InvalidInput(
          `The definition refers to {{secrets.${name}}}, but you have no secret named ${name}: create it with set_secret first.`,
        );
      }
    }
    return this.run(owner, def, signal);
  }
}
