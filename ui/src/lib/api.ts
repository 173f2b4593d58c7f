// The only door to Rust. Every type mirrors a serde type in src-tauri; nothing here is secret
// except the value `revealSecret` returns on an explicit Reveal/Copy, which is never stored.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export type ProviderKind = 'fitbit' | 'google-health';
export type Choice = 'google-health' | 'fitbit' | 'sandbox';
export type AppType = 'server' | 'client' | 'personal';
export type RedirectMode = 'loopback' | 'scheme';
export type AccountState = 'active' | 'expired' | 'reconnect_needed' | 'revoked';

/** What every failure looks like: a sentence and a next step. */
export interface ErrorReport {
  kind: string;
  message: string;
  hint: string;
  detail: string | null;
}

export interface ScopeInfo {
  provider: ProviderKind;
  scope: string;
  label: string;
  description: string;
  /** It lets the app add or change data (Google's `*.writeonly`); Fitauth only reads. */
  writes: boolean;
}

export interface ScopeRow {
  scope: string;
  label: string;
  description: string;
  requested: boolean;
  granted: boolean;
}

export interface AccountView {
  name: string;
  app: string;
  provider: ProviderKind;
  user_id: string | null;
  display_name: string | null;
  /** The signed-in person's email, when the provider said. */
  email: string | null;
  label: string;
  state: AccountState;
  token_type: string;
  issued_at: number;
  expires_at: number | null;
  refresh_token_expires_at: number | null;
  has_refresh_token: boolean;
  /** A client-credentials token: the app's own, with no person and no refresh token. */
  is_app_token: boolean;
  updated_at: number;
  scopes: ScopeRow[];
  scopes_denied: string[];
}

export interface EndpointsView {
  authorize: string;
  token: string;
  introspect: string | null;
  tokeninfo: string | null;
  revoke: string;
  identity: string;
}

export interface AppView {
  name: string;
  provider: ProviderKind;
  client_id: string;
  app_type: AppType;
  redirect: RedirectMode;
  base_url: string | null;
  has_client_secret: boolean;
  /** Google: the consent screen is in Testing (refresh tokens end after seven days). */
  testing: boolean;
  is_sandbox: boolean;
  /** Compiled into this build: nothing to register. */
  is_builtin: boolean;
  redirect_uris: string[];
  redirect_note: string;
  endpoints: EndpointsView | null;
}

/** What the Apps form sends: a registration's own fields, and the secret (only ever sent). */
export type AppInput = Pick<AppView, 'name' | 'provider' | 'client_id' | 'app_type' | 'redirect' | 'base_url' | 'testing'> & {
  client_secret: string | null;
};

export interface Waiting {
  app: string;
  /** The name given to store under; null when Rust names it after the person who signs in. */
  account: string | null;
  provider: ProviderKind;
  redirect: RedirectMode;
  redirect_uri: string;
  started_at: number;
  expires_at: number;
  /** The consent page's address, to copy into another browser or profile. */
  authorize_url: string;
  grant: Grant;
  /** False when the person asked for the address instead of the system browser. */
  browser_opened: boolean;
}

/** How to get the token (Connect's "Advanced" part). */
export type Grant = 'code' | 'implicit' | 'client_credentials';

export interface AdvancedConnect {
  grant: Grant;
  pkce: boolean;
  /** Fitbit's `none`, `login`, `consent`, `login consent`; Google's `consent`, `select_account`. */
  prompt: string | null;
  /** Seconds (`expires_in`); null for the provider's default. */
  lifetime: number | null;
  /** Show the address instead of opening the system browser. */
  no_browser: boolean;
}

export interface ConnectedView {
  account: AccountView;
  label: string;
  /** True when an existing account of the same person was updated in place, not created. */
  updated: boolean;
  /** For a move to Google Health: how it ended. */
  migration: MigrationView | null;
}

/** An answer of the provider's API (Inspect's request panel), secrets redacted. */
export interface ApiAnswer {
  method: string;
  url: string;
  status: number;
  headers: [string, string][];
  body: string;
  duration_ms: number;
  rate_limit: RateLimit | null;
  /** The first answer was 401; the account was refreshed and the request sent again. */
  retried_after_refresh: boolean;
}

export interface RequestView {
  answer: ApiAnswer;
  /** The body, pretty when it is JSON. */
  pretty_body: string;
  /** The request as a curl command; the token is left as $(fitauth token --account NAME). */
  curl: string;
}

/** Which of an account's tokens to revoke. */
export type TokenKind = 'refresh' | 'access';

/** A revoke's outcome: the account, now revoked, and what happened in a sentence. */
export interface RevokeView {
  account: AccountView;
  /** `unknown`: Fitbit answered 404, it no longer knew the token. */
  outcome: 'revoked' | 'already_invalid' | 'unknown';
  said: string;
}

/** How a move to Google Health ended, in sentences. */
export interface MigrationView {
  /** The legacy account's name. */
  from: string;
  /** The legacy account now is the Google account, under the same name. */
  moved: boolean;
  same_account: string;
  legacy_token: string;
  /** Legacy scopes with no Google Health equivalent. */
  unmapped: string[];
  /** The Google account was already here under another name, which it no longer has. */
  merged: string | null;
}

/** What a move will ask Google for, before it starts. */
export interface MovePlanView {
  account: string;
  app: string;
  scopes: { scope: string; label: string; description: string }[];
  unmapped: string[];
}

/** The desktop's own preferences. */
export interface Preferences {
  /** Closing the window keeps Fitauth running in the tray (off: it quits). */
  close_to_tray: boolean;
  /** Fitauth starts at login, in the tray. */
  start_at_login: boolean;
  /** The person answered "start at login?" (asked once, after the first connection). */
  asked_start_at_login: boolean;
}

/** A "needs you" notification was clicked. */
export interface ReconnectRequest {
  account: string;
  /** The way on is the move to Google, not a plain reconnect. */
  move_to_google: boolean;
}

/** The banner's sentences for accounts still on the legacy Fitbit API. */
export interface MoveNotice {
  what_happened: string;
  what_to_do: string;
  what_stays: string;
}

export interface Overview {
  accounts: AccountView[];
  apps: AppView[];
  waiting: Waiting | null;
  sandbox_url: string | null;
  secrets_location: string;
  keyring_error: ErrorReport | null;
  data_dir: string;
  log_file: string | null;
  scheme_redirects: boolean;
  move_notice: MoveNotice;
  /** The accounts the banner offers to move to Google Health. */
  needs_move: string[];
}

export interface ScopeGrant {
  scope: string;
  permission: string | null;
}

export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  reset_at: number | null;
}

export interface Introspection {
  active: boolean;
  source: string;
  scopes: ScopeGrant[];
  client_id: string | null;
  user_id: string | null;
  token_type: string | null;
  expires_at: number | null;
  issued_at: number | null;
  access_type: string | null;
  email: string | null;
  rate_limit: RateLimit | null;
  /** Every field the provider returned, by name, as it came. */
  fields: [string, string][];
  /** When the verdict was given (Unix seconds). */
  checked_at: number;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  verification: string;
  fitbit_scopes: ScopeGrant[];
  expires_at: number | null;
  issued_at: number | null;
}

export interface HttpExchange {
  id: number;
  operation: string;
  started_at_ms: number;
  duration_ms: number;
  method: string;
  url: string;
  request_headers: [string, string][];
  request_body: string;
  status: number | null;
  response_headers: [string, string][];
  response_body: string;
  rate_limit: RateLimit | null;
  transport_error: string | null;
}

export interface MaskedToken {
  masked: string;
  length: number;
}

export interface AccountDetail {
  account: AccountView;
  app: AppView | null;
  access_token: MaskedToken | null;
  refresh_token: MaskedToken | null;
  secrets_error: ErrorReport | null;
  jwt: DecodedJwt | null;
  jwt_note: string | null;
  introspection: Introspection | null;
  rate_limit: RateLimit | null;
  exchanges: HttpExchange[];
  secrets_location: string;
  metadata_path: string;
}

export interface SandboxView {
  base_url: string;
  app: AppView;
}

export type Which = 'access_token' | 'refresh_token';

/** Turns whatever a rejected invoke carries into a sentence and a next step. */
export function asReport(e: unknown): ErrorReport {
  if (e && typeof e === 'object' && 'message' in e && 'hint' in e) {
    const r = e as ErrorReport;
    return { kind: r.kind ?? 'error', message: r.message, hint: r.hint, detail: r.detail ?? null };
  }
  return {
    kind: 'internal',
    message: 'Something went wrong inside Fitauth.',
    hint: 'Try again; if it keeps happening, the log file has the details.',
    detail: typeof e === 'string' ? e : null,
  };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asReport(e);
  }
}

export const api = {
  overview: () => call<Overview>('app_overview'),
  scopeCatalog: (provider: ProviderKind) => call<ScopeInfo[]>('scope_catalog', { provider }),
  /** `app`: the registration to use (null: the first of the chosen provider); `account`: the
   *  name to store under, trimmed (null: named after the person who signs in). */
  startConnect: (
    choice: Choice,
    scopes: string[],
    app?: string | null,
    account?: string | null,
    advanced?: AdvancedConnect | null,
  ) =>
    call<Waiting>('start_connect', {
      request: { choice, scopes, app: app ?? null, account: account ?? null, ...(advanced ?? {}) },
    }),
  /** The client-credentials grant: an app token (a Fitbit server app's; no user, no browser). */
  getAppToken: (registration: string, lifetime: number | null, account: string | null) =>
    call<ConnectedView>('get_app_token', { registration, lifetime, account }),
  cancelConnect: () => call<void>('cancel_connect'),
  pasteRedirect: (address: string) => call<ConnectedView>('paste_redirect', { address }),
  listAccounts: () => call<AccountView[]>('list_accounts'),
  inspectAccount: (name: string) => call<AccountDetail>('inspect_account', { name }),
  refreshAccount: (name: string) => call<AccountDetail>('refresh_account', { name }),
  introspectAccount: (name: string) => call<Introspection>('introspect_account', { name }),
  /** Imports a token one already has; the provider is asked about it first. */
  importToken: (request: { app: string; access_token: string; refresh_token: string | null; account: string | null }) =>
    call<ConnectedView>('import_token', { request }),
  /** Sends a request to the provider's API with the account's token. */
  sendRequest: (name: string, method: string, path: string, body: string | null) =>
    call<RequestView>('send_request', { name, method, path, body }),
  /** Revokes `token` (the refresh token by default; either ends the grant). */
  revokeAccount: (name: string, token: TokenKind = 'refresh') => call<RevokeView>('revoke_account', { name, token }),
  removeAccount: (name: string) => call<void>('remove_account', { name }),
  /** Rust's `new_name` parameter arrives as `newName` (Tauri's camelCase argument names). */
  renameAccount: (name: string, newName: string) => call<AccountView>('rename_account', { name, newName }),
  revealSecret: (name: string, which: Which) => call<string>('reveal_secret', { name, which }),
  listApps: () => call<AppView[]>('list_apps'),
  saveApp: (input: AppInput) => call<AppView>('save_app', { input }),
  removeApp: (name: string) => call<void>('remove_app', { name }),
  startSandbox: () => call<SandboxView>('start_sandbox'),
  migrationPlan: (account: string) => call<MovePlanView>('migration_plan', { account }),
  /** Opens the Google sign-in of the move; the window then waits as for any Connect. */
  startMigration: (account: string) => call<Waiting>('start_migration', { account }),
  getPreferences: () => call<Preferences>('get_preferences'),
  /** Changes only the preferences named; the others stay as they are. */
  setPreferences: (change: Partial<Preferences>) => call<Preferences>('set_preferences', { change }),
};

export const EVENTS = {
  connectFinished: 'connect-finished',
  connectFailed: 'connect-failed',
  linkRefused: 'link-refused',
  accountsChanged: 'accounts-changed',
  appsChanged: 'apps-changed',
  openAccount: 'open-account',
  reconnect: 'reconnect-account',
} as const;

export function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}

/** Copies text to the clipboard (never kept anywhere else). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // fall through to the selection-based copy
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand?.('copy');
  area.value = '';
  area.remove();
  if (!ok) throw new Error('copy failed');
}
