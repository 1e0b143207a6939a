// Builds the parts once: database, cache, mailer, stores and services. The
// stdio server, the worker and every CLI command start from here. Parts are
// opened on first use, so `initialize` answers before any driver loads, and a
// database that was down is tried again on the next call.
import { join } from 'node:path';
import { CredentialsFile } from './auth/credentials.js';
import { LoginService, loginCodeKey } from './auth/login.js';
import { type ActiveSession, SessionService } from './auth/sessions.js';
import type { Config } from './config.js';
import { asUnavailable, NotSignedIn } from './errors.js';
import type { Cache } from './infra/cache.js';
import type { Database } from './infra/database.js';
import { type Keys, resolveKeys } from './infra/keys.js';
import type { Logger } from './infra/logger.js';
import { createMailer, type Mailer } from './infra/mailer.js';
import type { SecretBox } from './infra/secret-box.js';
import type { AlertRuleService, AlertService } from './monitors/alerting.js';
import type { CheckRunner } from './monitors/check-runner.js';
import type { Scheduler } from './monitors/scheduler.js';
import type { SecretService } from './monitors/secrets.js';
import type { MonitorService } from './monitors/service.js';
import { sessionsStore } from './store/sessions.js';
import { type UsersStore, usersStore } from './store/users.js';

export interface Services {
  database: Database;
  cache: Cache;
  users: UsersStore;
  sessions: SessionService;
  login: LoginService;
  monitors: MonitorService;
  secrets: SecretService;
  rules: AlertRuleService;
  alerts: AlertService;
  checks: CheckRunner;
}

export interface App {
  config: Config;
  logger: Logger;
  mailer: Mailer;
  credentials: CredentialsFile;
  keys(): Keys;
  /** Opens the database (migrating it to the latest schema) and the cache, once. */
  services(): Promise<Services>;
  /**
   * A scheduler for this process, not yet started (the stdio server and `worker` start it). A stdio server of a
   * shared deployment without a mail service sends no notifications: the console mailer would write other
   * people's alert emails into this person's log; workers (run by the operator) send them.
   */
  scheduler(role: 'server' | 'worker'): Promise<Scheduler>;
  /** The signed-in person of this machine, from the credentials file; NotSignedIn if none. */
  currentSession(): Promise<{ session: ActiveSession; token: string }>;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Apply pending migrations when the database is first opened (default true). */
  autoMigrate?: boolean;
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const autoMigrate = options.autoMigrate ?? true;
  const mailer = createMailer(config);
  const credentials = new CredentialsFile(config.home, config.deployment, logger);
  let keys: Keys | undefined;
  let cache: Promise<Cache> | undefined;
  let built: Promise<Services> | undefined;
  let database: Database | undefined;
  let closed = false;

  const getKeys = () => {
    keys ??= resolveKeys(config);
    return keys;
  };

  const stampPath = config.database.kind === 'sqlite' ? `${config.database.path}.cache-stamp` : join(config.home, 'cache-stamp');

  async function build(): Promise<Services> {
    const k = getKeys();
    // Loaded here, not at the top: the query builder and drivers are not needed to answer `initialize`.
    const [
      { openCache },
      { openDatabase },
      { migrateToLatest },
      { loginCodesStore },
      { monitorsStore, historyStore },
      { secretsStore },
      { alertRulesStore, alertsStore },
      { MonitorService },
      { SecretService },
      { AlertRuleService, AlertService },
      { SecretBox },
      { CheckRunner },
    ] = await Promise.all([
      import('./infra/cache.js'),
      import('./infra/database.js'),
      import('./infra/migrate.js'),
      import('./store/login-codes.js'),
      import('./store/monitors.js'),
      import('./store/secrets.js'),
      import('./store/alerts.js'),
      import('./monitors/service.js'),
      import('./monitors/secrets.js'),
      import('./monitors/alerting.js'),
      import('./infra/secret-box.js'),
      import('./monitors/check-runner.js'),
    ]);
    cache ??= openCache(config, logger, stampPath);
    let db: Database;
    try {
      db = database ?? (await openDatabase(config.database, logger));
      database = db;
      if (autoMigrate) await migrateToLatest(db, join(config.packageRoot, 'migrations'));
    } catch (err) {
      throw asUnavailable(err) ?? err;
    }
    const c = await cache;
    const users = usersStore(db.db);
    const sessions = new SessionService({ sessions: sessionsStore(db.db), cache: c, keys: k, config, logger });
    const login = new LoginService({
      codes: loginCodesStore(db.db, db.dialect),
      users,
      sessions,
      mailer,
      codeKey: loginCodeKey(k.jwtSecret),
      config,
      logger,
    });
    let box: SecretBox | undefined;
    const secretBox = () => {
      box ??= new SecretBox(k.masterKey, k.masterKeyPrevious);
      return box;
    };
    const monitorRows = monitorsStore(db.db);
    const secretRows = secretsStore(db.db);
    const ruleRows = alertRulesStore(db.db);
    const alertRows = alertsStore(db.db);
    const secretService = new SecretService({ db: db.db, secrets: secretRows, monitors: monitorRows, box: secretBox, config });
    return {
      database: db,
      cache: c,
      users,
      sessions,
      login,
      monitors: new MonitorService({
        db: db.db,
        monitors: monitorRows,
        history: historyStore(db.db),
        secrets: secretRows,
        config,
      }),
      secrets: secretService,
      rules: new AlertRuleService({ db: db.db, rules: ruleRows, alerts: alertRows, monitors: monitorRows, config }),
      alerts: new AlertService({ alerts: alertRows, db: db.db }),
      checks: new CheckRunner({ db: db.db, monitors: monitorRows, secrets: secretService, config }),
    };
  }

  const app: App = {
    config,
    logger,
    mailer,
    credentials,
    keys: getKeys,
    services() {
      if (closed) return Promise.reject(new Error('the app is closed'));
      if (!built) {
        built = build();
        // A failure (database down) is not remembered: the next call tries again.
        built.catch(() => {
          built = undefined;
        });
      }
      return built;
    },
    async scheduler(role) {
      const notify = role === 'worker' || config.mode === 'embedded' || config.mail.kind !== 'console';
      const [{ database, secrets }, { Scheduler }] = await Promise.all([app.services(), import('./monitors/scheduler.js')]);
      return new Scheduler({
        db: database.db,
        secrets,
        logger,
        allowPrivateTargets: config.allowPrivateTargets,
        concurrency: config.worker.concurrency,
        pollMs: config.worker.pollMs,
        retentionDays: config.worker.retentionDays,
        ...(notify ? { mailer } : {}),
      });
    },
    async currentSession() {
      const saved = credentials.read();
      if (!saved) throw new NotSignedIn();
      const { sessions } = await app.services();
      const session = await sessions.authenticate(saved.token);
      return { session, token: saved.token };
    },
    async close() {
      closed = true;
      const tasks: Promise<unknown>[] = [];
      if (cache) tasks.push(cache.then((c) => c.close()));
      if (database) tasks.push(database.close());
      await Promise.allSettled(tasks);
    },
  };
  return app;
}
