import { describe, expect, test } from 'vitest';
import { humanDuration, lifetimeLeft, relative, statusOf, clock } from './time';

describe('times read like the fitauth command', () => {
  test('durations', () => {
    expect(humanDuration(7 * 3600 + 12 * 60 + 5)).toBe('7h 12m');
    expect(humanDuration(185)).toBe('3m 05s');
    expect(humanDuration(42)).toBe('42s');
    expect(humanDuration(2 * 86400 + 4 * 3600)).toBe('2d 4h');
  });

  test('relative times carry the wall clock', () => {
    const now = 1_800_000_000;
    const at = now + 7 * 3600 + 12 * 60;
    expect(relative(at, now)).toBe(`in 7h 12m (${clock(at)})`);
    expect(relative(now - 60, now)).toBe(`1m 00s ago (${clock(now - 60)})`);
  });

  test('status pill: active, expires soon, expired, reconnect, revoked', () => {
    const now = 1_000;
    expect(statusOf({ state: 'active', expires_at: now + 3600 }, now)).toBe('active');
    expect(statusOf({ state: 'active', expires_at: now + 300 }, now)).toBe('expires_soon');
    expect(statusOf({ state: 'active', expires_at: now - 1 }, now)).toBe('expired');
    expect(statusOf({ state: 'expired', expires_at: now - 1 }, now)).toBe('expired');
    expect(statusOf({ state: 'reconnect_needed', expires_at: now + 3600 }, now)).toBe('reconnect_needed');
    expect(statusOf({ state: 'revoked', expires_at: null }, now)).toBe('revoked');
    expect(statusOf({ state: 'active', expires_at: null }, now)).toBe('active');
  });

  test('lifetime fraction is clamped', () => {
    expect(lifetimeLeft(0, 100, 25)).toBe(0.75);
    expect(lifetimeLeft(0, 100, 200)).toBe(0);
    expect(lifetimeLeft(0, 100, -5)).toBe(1);
  });
});
