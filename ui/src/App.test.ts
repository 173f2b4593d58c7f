import { describe, expect, test } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import App from './App.svelte';
import { account, connected, detail, fitbitScopes, NOW, overview, sandboxApp } from './test/fixtures';
import type { AppView, MigrationView } from './lib/api';

function backend(ov = overview()) {
  mockIPC(
    (cmd) => {
      if (cmd === 'app_overview') return ov;
      if (cmd === 'scope_catalog') return fitbitScopes;
    },
    { shouldMockEvents: true },
  );
}

describe('App', () => {
  test('a new user lands on Connect; the views are keyboard-reachable tabs', async () => {
    backend();
    render(App);
    expect(await screen.findByRole('heading', { name: 'Connect your Fitbit account' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect', current: 'page' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Apps' }));
    expect(screen.getByRole('heading', { name: 'Apps', level: 1 })).toBeVisible();
  });

  test('a refused fitauth:// link is reported with what to do', async () => {
    backend();
    render(App);
    await screen.findByRole('heading', { name: 'Connect your Fitbit account' });
    await emit('link-refused', {
      kind: 'state_mismatch',
      message: 'This sign-in response does not belong to the sign-in this app started (its security check did not match), so it was refused.',
      hint: 'Nothing was changed. Start the connection again from this app and finish it in the same browser tab.',
      detail: null,
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('A sign-in link was refused');
    expect(alert).toHaveTextContent('Nothing was changed.');
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  test('no keyring: said plainly at the top', async () => {
    backend(
      overview({
        keyring_error: {
          kind: 'keyring_unavailable',
          message: 'No system keyring is available (no D-Bus), so nothing was saved.',
          hint: 'Fitauth keeps tokens only in the system keyring.',
          detail: null,
        },
      }),
    );
    render(App);
    expect(await screen.findByText('Tokens cannot be saved on this computer yet')).toBeInTheDocument();
  });

  describe('the move to Google', () => {
    const GH = 'https://www.googleapis.com/auth/googlehealth.';
    function moveBackend(calls: string[]) {
      mockIPC(
        (cmd, args) => {
          calls.push(cmd);
          switch (cmd) {
            case 'app_overview':
              return overview({
                accounts: [account({ name: 'fit' }), account({ name: 'g', provider: 'google-health' })],
                needs_move: ['fit'],
              });
            case 'scope_catalog':
              return fitbitScopes;
            case 'migration_plan':
              expect(args).toEqual({ account: 'fit' });
              return {
                account: 'fit',
                app: 'sandbox-health',
                scopes: [
                  { scope: `${GH}sleep.readonly`, label: 'Sleep', description: 'See your sleep data.' },
                ],
                unmapped: ['social'],
              };
            case 'start_migration':
              return {
                app: 'sandbox-health',
                account: null,
                provider: 'google-health',
                redirect: 'loopback',
                redirect_uri: 'http://127.0.0.1:4000/callback',
                started_at: NOW,
                expires_at: NOW + 600,
              };
          }
        },
        { shouldMockEvents: true },
      );
    }
    function moved(m: Partial<MigrationView>) {
      const view = connected({ name: 'fit', provider: 'google-health', label: 'sam@example.com' });
      return {
        ...view,
        migration: {
          from: 'fit',
          moved: true,
          same_account: 'This is the same Fitbit account (Fitbit user SBX123): "fit" now uses Google.',
          legacy_token: 'The old Fitbit token was revoked.',
          merged: 'This Google account was already here as "sam-example-com"; it now goes by "fit" (one account per person and app registration).',
          unmapped: ['social'],
          ...m,
        },
      };
    }

    test('a Fitbit account gets a calm banner; the move shows its scopes, then how it ended', async () => {
      const calls: string[] = [];
      moveBackend(calls);
      render(App);
      const banner = await screen.findByTestId('move-banner');
      expect(banner).toHaveTextContent('Fitbit accounts now connect through Google');
      expect(banner).toHaveTextContent('turned off its old sign-in');
      expect(banner).toHaveTextContent('keeps its name');
      // Only the Fitbit account is offered.
      expect(screen.queryByRole('button', { name: 'Move “g” to Google' })).not.toBeInTheDocument();
      await userEvent.click(screen.getByRole('button', { name: 'Move “fit” to Google' }));
      const plan = await screen.findByTestId('move-plan');
      expect(plan).toHaveTextContent('Sleep');
      expect(plan).toHaveTextContent('Google Health has no equivalent of: social.');
      expect(calls).not.toContain('start_migration');
      await userEvent.click(screen.getByRole('button', { name: 'Sign in with Google' }));
      expect(await screen.findByRole('heading', { name: 'Finish in your browser…' })).toBeInTheDocument();
      expect(calls).toContain('start_migration');
      await emit('connect-finished', moved({}));
      expect(await screen.findByRole('heading', { name: 'Connected as sam@example.com' })).toBeInTheDocument();
      const result = screen.getByTestId('move-result');
      expect(result).toHaveTextContent('This is the same Fitbit account (Fitbit user SBX123)');
      expect(result).toHaveTextContent('The old Fitbit token was revoked.');
      expect(result).toHaveTextContent('Not available on Google Health: social.');
      expect(result).toHaveTextContent('was already here as "sam-example-com"; it now goes by "fit"');
    });

    test('another Fitbit account behind the Google sign-in is a clear warning', async () => {
      moveBackend([]);
      render(App);
      await userEvent.click(await screen.findByRole('button', { name: 'Move “fit” to Google' }));
      await userEvent.click(await screen.findByRole('button', { name: 'Sign in with Google' }));
      await screen.findByRole('heading', { name: 'Finish in your browser…' });
      await emit(
        'connect-finished',
        moved({
          moved: false,
          same_account: 'This Google account belongs to another Fitbit account (Fitbit user SBX456, not SBX123).',
          legacy_token: 'The old Fitbit account and its token were not touched.',
          merged: null,
        }),
      );
      const alert = await screen.findByTestId('move-result');
      expect(alert).toHaveAttribute('role', 'alert');
      expect(alert).toHaveTextContent('“fit” was not moved');
      expect(alert).toHaveTextContent('another Fitbit account (Fitbit user SBX456, not SBX123)');
    });
  });

  test('a clicked "needs you" notification opens the account\'s reconnect, its scopes ticked', async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC(
      (cmd, args) => {
        calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
        if (cmd === 'app_overview') return overview({ accounts: [account({ name: 'sam', app: 'sandbox' })], apps: [sandboxApp] });
        if (cmd === 'scope_catalog') return fitbitScopes;
        if (cmd === 'start_connect') return { app: 'sandbox', account: 'sam', provider: 'fitbit', redirect: 'scheme', redirect_uri: 'fitauth://callback', started_at: NOW, expires_at: NOW + 600 };
      },
      { shouldMockEvents: true },
    );
    render(App);
    await screen.findByRole('heading', { name: 'Connect your Fitbit account' });
    await userEvent.click(screen.getByRole('button', { name: 'Apps' }));
    await emit('reconnect-account', { account: 'sam', move_to_google: false });
    expect(await screen.findByTestId('reconnecting')).toHaveTextContent('Connect “sam” again');
    // The fixture account asked for activity and sleep.
    await waitFor(() => expect(screen.getByRole('checkbox', { name: /Activity/ })).toBeChecked());
    expect(screen.getByRole('checkbox', { name: /Sleep/ })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: /Profile/ })).not.toBeChecked();
    const connectButton = screen.getAllByRole('button', { name: 'Connect' }).find((b) => b.classList.contains('primary'));
    await userEvent.click(connectButton!);
    const start = calls.find((c) => c.cmd === 'start_connect');
    expect(start?.args).toMatchObject({ request: { choice: 'sandbox', account: 'sam' } });
  });

  test('a sandbox account moved to Google reconnects on the sandbox\'s Google side, which is no Google registration of its own', async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    const health: AppView = { ...sandboxApp, name: 'sandbox-health', provider: 'google-health', client_id: 'sandbox-google' };
    const sb = account({ name: 'sb', app: 'sandbox-health', provider: 'google-health', state: 'reconnect_needed' });
    mockIPC(
      (cmd, args) => {
        calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
        if (cmd === 'app_overview') return overview({ accounts: [sb], apps: [sandboxApp, health] });
        if (cmd === 'inspect_account') return detail({ account: sb, app: health });
        if (cmd === 'scope_catalog') return fitbitScopes;
        if (cmd === 'start_connect') return { app: 'sandbox-health', account: 'sb', provider: 'google-health', redirect: 'loopback', redirect_uri: 'http://127.0.0.1:1/', started_at: NOW, expires_at: NOW + 600 };
      },
      { shouldMockEvents: true },
    );
    render(App);
    await screen.findByRole('heading', { name: 'Connect your Fitbit account' });
    // The sandbox's Google side does not make "Fitbit via Google" ready, nor the first choice.
    expect(screen.getByRole('radio', { name: /sandbox/i })).toBeChecked();
    // Inspect's Reconnect on the account that needs it opens the same reconnect.
    await userEvent.click(screen.getByRole('button', { name: /^Inspect/ }));
    await userEvent.click(await screen.findByRole('button', { name: 'Reconnect' }));
    expect(await screen.findByTestId('reconnecting')).toHaveTextContent('Connect “sb” again');
    const connectButton = screen.getAllByRole('button', { name: 'Connect' }).find((b) => b.classList.contains('primary'));
    await userEvent.click(connectButton!);
    const start = calls.find((c) => c.cmd === 'start_connect');
    expect(start?.args).toMatchObject({ request: { choice: 'google-health', app: 'sandbox-health', account: 'sb' } });
    // Once done, connecting another account no longer goes to the sandbox's Google side.
    await emit('connect-finished', connected({ name: 'sb', app: 'sandbox-health', provider: 'google-health' }, true));
    await userEvent.click(await screen.findByRole('button', { name: 'Connect another account' }));
    expect(await screen.findByText('To connect through Google, add your Google desktop OAuth client first.')).toBeInTheDocument();
    expect(calls.filter((c) => c.cmd === 'start_connect')).toHaveLength(1);
  });

  test('Ask for more: the account signs in again with what it has and what was denied ticked', async () => {
    const sam = account({ name: 'sam', app: 'sandbox' });
    mockIPC(
      (cmd) => {
        if (cmd === 'app_overview') return overview({ accounts: [sam], apps: [sandboxApp] });
        if (cmd === 'inspect_account') return detail({ account: sam });
        if (cmd === 'scope_catalog') return fitbitScopes;
      },
      { shouldMockEvents: true },
    );
    render(App);
    await userEvent.click(await screen.findByRole('button', { name: /^Inspect/ }));
    await userEvent.click(await screen.findByRole('button', { name: 'Ask for more' }));
    expect(await screen.findByTestId('reconnecting')).toHaveTextContent('Connect “sam” again');
    await waitFor(() => expect(screen.getByRole('checkbox', { name: /Activity/ })).toBeChecked());
    expect(screen.getByRole('checkbox', { name: /Sleep/ })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: /Heart rate/ })).not.toBeChecked();
  });

  test('the tray preference is shown and saved', async () => {
    const saved: unknown[] = [];
    mockIPC(
      (cmd, args) => {
        if (cmd === 'app_overview') return overview();
        if (cmd === 'scope_catalog') return fitbitScopes;
        if (cmd === 'get_preferences') return { close_to_tray: true, start_at_login: false, asked_start_at_login: true };
        if (cmd === 'set_preferences') {
          saved.push(args);
          return { close_to_tray: true, start_at_login: false, asked_start_at_login: true, ...(args as { change: object }).change };
        }
      },
      { shouldMockEvents: true },
    );
    render(App);
    await userEvent.click(await screen.findByRole('button', { name: 'Apps' }));
    const box = await screen.findByRole('checkbox', { name: /Keep Fitauth running in the tray/ });
    expect(box).toBeChecked();
    await userEvent.click(box);
    // Only what changed is sent, so it cannot undo another change made meanwhile.
    expect(saved).toEqual([{ change: { close_to_tray: false } }]);
    expect(box).not.toBeChecked();
  });

  test('after the first connection: start at login? asked once, the answer saved', async () => {
    const saved: unknown[] = [];
    let asked = false;
    let reads = 0;
    mockIPC(
      (cmd, args) => {
        if (cmd === 'app_overview') return overview();
        if (cmd === 'scope_catalog') return fitbitScopes;
        if (cmd === 'get_preferences') {
          reads += 1;
          return { close_to_tray: true, start_at_login: false, asked_start_at_login: asked };
        }
        if (cmd === 'set_preferences') {
          saved.push(args);
          asked = true;
          return { close_to_tray: true, start_at_login: false, asked_start_at_login: true, ...(args as { change: object }).change };
        }
      },
      { shouldMockEvents: true },
    );
    render(App);
    await screen.findByRole('heading', { name: 'Connect your Fitbit account' });
    await emit('connect-finished', connected());
    const ask = await screen.findByTestId('start-at-login');
    expect(ask).toHaveTextContent('Start Fitauth when you log in?');
    await userEvent.click(screen.getByRole('button', { name: 'Start at login' }));
    expect(saved).toEqual([{ change: { start_at_login: true, asked_start_at_login: true } }]);
    expect(screen.queryByTestId('start-at-login')).not.toBeInTheDocument();
    // Once: the next connection reads the answer and does not ask again.
    const readsBefore = reads;
    await emit('connect-finished', connected({ name: 'other' }));
    await screen.findByText('Saved as “other”.');
    await waitFor(() => expect(reads).toBe(readsBefore + 1));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('start-at-login')).not.toBeInTheDocument();
  });
});
