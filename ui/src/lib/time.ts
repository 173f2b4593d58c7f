// Times as people read them: "in 7h 12m (14:03)", the same wording as the `fitauth` command.
import type { AccountState, AccountView } from './api';

/** Below this many seconds left, an active token "expires soon". */
export const EXPIRES_SOON_SECS = 10 * 60;

export function nowUnix(): number {
  return Math.floor(Date.now() / 1000);
}

/** `7h 12m`, `3m 05s`, `42s`, `2d 4h` (absolute value). */
export function humanDuration(seconds: number): string {
  const s = Math.abs(Math.trunc(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** `14:03` in local time. */
export function clock(unix: number): string {
  const t = new Date(unix * 1000);
  return `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
}

/** `2026-11-22 14:03` in local time. */
export function dateTime(unix: number): string {
  const t = new Date(unix * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`;
}

/** "in 7h 12m (14:03)" or "3m 05s ago (14:03)". */
export function relative(unix: number, now: number = nowUnix()): string {
  const delta = unix - now;
  const when = delta >= 0 ? `in ${humanDuration(delta)}` : `${humanDuration(delta)} ago`;
  return `${when} (${clock(unix)})`;
}

export type Status = 'active' | 'expires_soon' | 'expired' | 'reconnect_needed' | 'revoked';

export const STATUS_LABEL: Record<Status, string> = {
  active: 'Active',
  expires_soon: 'Expires soon',
  expired: 'Expired',
  reconnect_needed: 'Reconnect needed',
  revoked: 'Revoked',
};

/** The status pill, from the stored state and the clock. */
export function statusOf(
  account: Pick<AccountView, 'state' | 'expires_at'>,
  now: number = nowUnix(),
): Status {
  const state: AccountState = account.state;
  if (state === 'revoked' || state === 'reconnect_needed') return state;
  if (account.expires_at == null) return 'active';
  const left = account.expires_at - now;
  if (left <= 0) return 'expired';
  if (left <= EXPIRES_SOON_SECS) return 'expires_soon';
  return 'active';
}

/** Fraction of the token's lifetime left, 0…1 (for the countdown bar). */
export function lifetimeLeft(issuedAt: number, expiresAt: number, now: number = nowUnix()): number {
  const total = expiresAt - issuedAt;
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, (expiresAt - now) / total));
}
