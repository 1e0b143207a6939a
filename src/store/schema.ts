// The tables, described once; every query is typed from this. Times are
// milliseconds since the epoch (BIGINT) so both dialects agree exactly.

export interface UsersTable {
  id: string;
  email: string;
  tier: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  client: string | null;
}

export interface LoginCodesTable {
  /** One live code per address: a new code replaces the row, killing the old code. */
  email: string;
  id: string;
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface LoginThrottleTable {
  email: string;
  last_sent_at: number | null;
  window_started_at: number;
  window_count: number;
  failures: number;
  locked_until: number | null;
}

export interface MonitorsTable {
  id: string;
  user_id: string;
  name: string;
  type: string;
  target: string;
  settings: string;
  interval_seconds: number;
  timeout_ms: number;
  enabled: number;
  status: string;
  last_checked_at: number | null;
  last_latency_ms: number | null;
  last_value: number | null;
  last_error: string | null;
  next_run_at: number | null;
  /** lower(name + ' ' + target), cut to 255 characters: what `query` searches, kept in the page index. */
  search_text?: string;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SecretsTable {
  id: string;
  user_id: string;
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  key_id: string;
  created_at: number;
  updated_at: number;
}

export interface AlertRulesTable {
  id: string;
  user_id: string;
  monitor_id: string | null;
  name: string;
  condition_json: string;
  for_checks: number;
  recover_checks: number;
  severity: string;
  channels_json: string;
  repeat_minutes: number | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface AlertsTable {
  id: string;
  user_id: string;
  rule_id: string;
  monitor_id: string;
  /** "rule_id:monitor_id" while open, NULL once resolved: a UNIQUE index keeps one open alert per pair. */
  open_key: string | null;
  state: string;
  severity: string;
  message: string;
  opened_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  last_notified_at: number | null;
  updated_at: number;
}

export interface MonitorResultsTable {
  id: string;
  user_id: string;
  monitor_id: string;
  checked_at: number;
  status: string;
  latency_ms: number | null;
  status_code: number | null;
  value: number | null;
  error: string | null;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  alert_id: string;
  /** firing, resolved or repeat */
  event: string;
  channel_json: string;
  /** pending, sent, failed, or skipped (the alert resolved before a firing or repeat went out) */
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  login_codes: LoginCodesTable;
  login_throttle: LoginThrottleTable;
  monitors: MonitorsTable;
  secrets: SecretsTable;
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  monitor_results: MonitorResultsTable;
  notifications: NotificationsTable;
}
