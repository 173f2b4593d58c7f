import type { AccountDetail, AccountView, AppView, ConnectedView, Overview, ScopeInfo } from '../lib/api';

// Real "now", so the shared ticker agrees; expiries get a 30 s cushion against minute boundaries.
export const NOW = Math.floor(Date.now() / 1000);

export const fitbitScopes: ScopeInfo[] = [
  { provider: 'fitbit', scope: 'activity', label: 'Activity', description: 'Steps, distance, calories.', writes: false },
  { provider: 'fitbit', scope: 'heartrate', label: 'Heart rate', description: 'Your heart rate.', writes: false },
  { provider: 'fitbit', scope: 'profile', label: 'Profile', description: 'Your name and profile.', writes: false },
  { provider: 'fitbit', scope: 'sleep', label: 'Sleep', description: 'Your sleep logs.', writes: false },
];

export const sandboxApp: AppView = {
  name: 'sandbox',
  provider: 'fitbit',
  client_id: 'sandbox-client',
  app_type: 'client',
  redirect: 'scheme',
  base_url: 'http://127.0.0.1:40001',
  has_client_secret: false,
  testing: false,
  is_sandbox: true,
  is_builtin: false,
  redirect_uris: ['fitauth://callback'],
  redirect_note: 'The built-in sandbox accepts fitauth://callback and any loopback address.',
  endpoints: {
    authorize: 'http://127.0.0.1:40001/oauth2/authorize',
    token: 'http://127.0.0.1:40001/oauth2/token',
    introspect: 'http://127.0.0.1:40001/1.1/oauth2/introspect',
    tokeninfo: null,
    revoke: 'http://127.0.0.1:40001/oauth2/revoke',
    identity: 'http://127.0.0.1:40001/1/user/-/profile.json',
  },
};

/** A registration of one's own (not the sandbox) for `provider`. */
export function registration(name: string, provider: AppView['provider'] = 'fitbit'): AppView {
  return {
    name,
    provider,
    client_id: `${name}-client`,
    app_type: provider === 'google-health' ? 'client' : 'personal',
    redirect: 'loopback',
    base_url: null,
    has_client_secret: false,
    testing: false,
    is_sandbox: false,
    is_builtin: false,
    redirect_uris: ['http://127.0.0.1/callback'],
    redirect_note: '',
    endpoints: null,
  };
}

export function account(over: Partial<AccountView> = {}): AccountView {
  return {
    name: 'sandbox',
    app: 'sandbox',
    provider: 'fitbit',
    user_id: 'SBX123',
    display_name: 'Sam Sandbox',
    email: null,
    label: 'Sam Sandbox',
    state: 'active',
    token_type: 'Bearer',
    issued_at: NOW - 3600,
    expires_at: NOW + 7 * 3600 + 12 * 60 + 30,
    refresh_token_expires_at: null,
    has_refresh_token: true,
    is_app_token: false,
    updated_at: NOW - 3600,
    scopes: [
      { scope: 'activity', label: 'Activity', description: 'Steps.', requested: true, granted: true },
      { scope: 'sleep', label: 'Sleep', description: 'Sleep.', requested: true, granted: false },
    ],
    scopes_denied: ['sleep'],
    ...over,
  };
}

/** What Rust says once a sign-in finished: a new account unless `updated`. */
export function connected(over: Partial<AccountView> = {}, updated = false): ConnectedView {
  const a = account(over);
  return { account: a, label: a.label, updated, migration: null };
}

export const moveNotice = {
  what_happened: 'Fitbit turned off its old sign-in and data service on 2 November 2026.',
  what_to_do: 'Sign in once with the Google account your Fitbit uses.',
  what_stays: 'The account keeps its name.',
};

export function overview(over: Partial<Overview> = {}): Overview {
  return {
    accounts: [],
    apps: [],
    waiting: null,
    sandbox_url: null,
    secrets_location: 'Secret Service (GNOME Keyring)',
    keyring_error: null,
    data_dir: '/home/me/.local/share/fitauth',
    log_file: null,
    scheme_redirects: true,
    move_notice: moveNotice,
    needs_move: [],
    ...over,
  };
}

export function detail(over: Partial<AccountDetail> = {}): AccountDetail {
  return {
    account: account(),
    app: sandboxApp,
    access_token: { masked: 'eyJh…Xk9Q', length: 300 },
    refresh_token: { masked: 'a1b2…c3d4', length: 64 },
    secrets_error: null,
    jwt: {
      header: { alg: 'HS256' },
      claims: { sub: 'SBX123', scopes: 'wact rsle', exp: NOW + 7 * 3600 },
      verification: 'decoded, not verified',
      fitbit_scopes: [
        { scope: 'activity', permission: 'READ_WRITE' },
        { scope: 'sleep', permission: 'READ' },
      ],
      expires_at: NOW + 7 * 3600,
      issued_at: NOW - 3600,
    },
    jwt_note: null,
    introspection: null,
    rate_limit: { limit: 150, remaining: 148, reset_at: NOW + 1800 },
    exchanges: [
      {
        id: 1,
        operation: 'code_exchange',
        started_at_ms: (NOW - 3600) * 1000,
        duration_ms: 12,
        method: 'POST',
        url: 'http://127.0.0.1:40001/oauth2/token',
        request_headers: [['content-type', 'application/x-www-form-urlencoded']],
        request_body: 'grant_type=authorization_code&code=[redacted]',
        status: 200,
        response_headers: [['fitbit-rate-limit-remaining', '148']],
        response_body: '{"access_token":"[redacted]"}',
        rate_limit: { limit: 150, remaining: 148, reset_at: NOW + 1800 },
        transport_error: null,
      },
    ],
    secrets_location: 'Secret Service (GNOME Keyring)',
    metadata_path: '/home/me/.local/share/fitauth/fitauth.json',
    ...over,
  };
}

/** A report as Rust sends it. */
export const deniedReport = {
  kind: 'access_denied',
  message: 'You chose not to share access, so nothing was connected.',
  hint: 'Connect again and choose Allow to share your data.',
  detail: 'access_denied',
};

/** What Rust says when a rename asks for a name another account already has. */
export const nameTakenReport = {
  kind: 'validation',
  message: 'There is already an account named “Riley”.',
  hint: 'Choose another name.',
  detail: null,
};
