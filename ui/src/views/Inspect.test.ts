import { describe, expect, test, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import Inspect from './Inspect.svelte';
import { account, connected, detail, nameTakenReport, NOW, registration, sandboxApp } from '../test/fixtures';
import { clock, dateTime } from '../lib/time';

type Calls = { cmd: string; args: Record<string, unknown> }[];

function backend(over: Record<string, (args: Record<string, unknown>) => unknown> = {}): Calls {
  const calls: Calls = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (over[cmd]) return over[cmd](a);
      switch (cmd) {
        case 'inspect_account':
          return detail({ account: account({ name: a.name as string }) });
        case 'reveal_secret':
          return a.which === 'access_token' ? 'the-real-access-token-value' : 'the-real-refresh-token';
        case 'introspect_account':
          return {
            active: true,
            source: 'introspect',
            scopes: [{ scope: 'activity', permission: 'READ_WRITE' }],
            client_id: 'sandbox-client',
            user_id: 'SBX123',
            token_type: 'access_token',
            expires_at: NOW + 3600,
            issued_at: NOW - 60,
            access_type: null,
            email: null,
            rate_limit: null,
            fields: [
              ['active', 'true'],
              ['client_id', 'sandbox-client'],
              ['exp', String((NOW + 3600) * 1000)],
              ['iat', String(NOW - 60)],
              ['scope', '{ACTIVITY=READ_WRITE}'],
              ['token_type', 'access_token'],
              ['user_id', 'SBX123'],
            ],
            checked_at: NOW,
          };
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

function renderInspect(accounts = [account()]) {
  const onchanged = vi.fn();
  const { rerender } = render(Inspect, { accounts, selected: null, visible: true, onchanged, ongoto: vi.fn() });
  return { onchanged, rerender };
}

describe('Inspect', () => {
  test('an account: status, countdown with the absolute time, masked tokens, decoded JWT, scopes', async () => {
    backend();
    renderInspect();
    expect(await screen.findByRole('heading', { name: 'Sam Sandbox' })).toBeInTheDocument();
    const pills = screen.getAllByTestId('status-pill');
    expect(pills.every((p) => p.textContent === 'Active')).toBe(true);
    const expires = NOW + 7 * 3600 + 12 * 60 + 30;
    expect(screen.getByTestId('countdown')).toHaveTextContent(`Expires in 7h 12m (${clock(expires)})`);
    expect(screen.getByRole('meter', { name: 'Access token lifetime left' })).toBeInTheDocument();
    expect(screen.getByTestId('secret-access_token')).toHaveTextContent('eyJh…Xk9Q');
    expect(screen.getByText('decoded, not verified')).toBeInTheDocument();
    expect(screen.getByTestId('jwt-claims')).toHaveTextContent('"sub": "SBX123"');
    const table = screen.getByRole('table');
    expect(within(table).getByText('denied')).toBeInTheDocument();
    expect(screen.getByText(/Not granted: sleep/)).toBeInTheDocument();
    expect(screen.getByText('Secret Service (GNOME Keyring)', { selector: 'dd' })).toBeInTheDocument();
    expect(screen.getByTestId('rate-limit')).toHaveTextContent('148 of 150');
    expect(screen.getByText('http://127.0.0.1:40001/oauth2/token', { selector: 'dd' })).toBeInTheDocument();
    // The redacted exchange log.
    expect(screen.getByText(/POST http:\/\/127.0.0.1:40001\/oauth2\/token/)).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('the-real-access-token-value');
  });

  test('Try a request: the preset path sent by Rust, the answer pretty with its status, copy as curl without the token', async () => {
    const curl = "curl 'http://127.0.0.1:40001/1/user/-/profile.json' -H \"Authorization: Bearer $(fitauth token --account 'sandbox')\"";
    const calls = backend({
      send_request: () => ({
        answer: {
          method: 'GET',
          url: 'http://127.0.0.1:40001/1/user/-/profile.json',
          status: 200,
          headers: [['fitbit-rate-limit-remaining', '147']],
          body: '{"user":{"displayName":"Sam Sandbox"}}',
          duration_ms: 12,
          rate_limit: { limit: 150, remaining: 147, reset_at: null },
          retried_after_refresh: false,
        },
        pretty_body: '{\n  "user": {\n    "displayName": "Sam Sandbox"\n  }\n}',
        curl,
      }),
    });
    const writeText = vi.fn(() => Promise.resolve());
    Object.assign(navigator, { clipboard: { writeText } });
    renderInspect();
    const panel = await screen.findByRole('form', { name: 'Try a request' });
    expect(within(panel).getByRole('textbox', { name: 'Path' })).toHaveValue('/1/user/-/profile.json');
    await userEvent.click(within(panel).getByRole('button', { name: 'Send' }));
    const result = await screen.findByTestId('request-result');
    expect(result).toHaveTextContent('HTTP 200');
    expect(screen.getByTestId('request-rate-limit')).toHaveTextContent('147 of 150');
    expect(screen.getByTestId('request-body')).toHaveTextContent('"displayName": "Sam Sandbox"');
    expect(calls.find((c) => c.cmd === 'send_request')?.args).toEqual({
      name: 'sandbox',
      method: 'GET',
      path: '/1/user/-/profile.json',
      body: null,
    });
    await userEvent.click(within(result).getByRole('button', { name: 'Copy as curl' }));
    expect(writeText).toHaveBeenCalledWith(curl);
  });

  test('Import a token: sent to Rust once, the fields emptied, the imported account shown', async () => {
    const calls = backend({
      import_token: () => connected({ name: 'imported', label: 'Riley Visitor' }),
    });
    const onchanged = vi.fn();
    render(Inspect, {
      accounts: [account()],
      apps: [sandboxApp, registration('mine')],
      selected: null,
      visible: true,
      onchanged,
      ongoto: vi.fn(),
    });
    await userEvent.click(await screen.findByText('Already have a token? Import it'));
    const form = screen.getByRole('form', { name: 'Import a token' });
    await userEvent.selectOptions(within(form).getByRole('combobox'), 'mine');
    const access = within(form).getByLabelText('Access token');
    await userEvent.type(access, 'the-access-token');
    await userEvent.type(within(form).getByRole('textbox', { name: 'Save as' }), 'imported');
    await userEvent.click(within(form).getByRole('button', { name: 'Import' }));
    expect(await screen.findByText('Imported as “imported”.')).toBeInTheDocument();
    expect(access).toHaveValue('');
    expect(onchanged).toHaveBeenCalled();
    expect(calls.filter((c) => c.cmd === 'import_token').map((c) => c.args)).toEqual([
      { request: { app: 'mine', access_token: 'the-access-token', refresh_token: null, account: 'imported' } },
    ]);
    expect(JSON.stringify(localStorage) + JSON.stringify(sessionStorage)).not.toContain('the-access-token');
  });

  test('Reveal asks Rust for the token, Hide forgets it', async () => {
    const calls = backend();
    renderInspect();
    const field = await screen.findByTestId('secret-access_token');
    const reveal = screen.getAllByRole('button', { name: 'Reveal' })[0];
    await userEvent.click(reveal);
    await waitFor(() => expect(field).toHaveTextContent('the-real-access-token-value'));
    expect(calls.find((c) => c.cmd === 'reveal_secret')?.args).toEqual({ name: 'sandbox', which: 'access_token' });
    await userEvent.click(screen.getByRole('button', { name: 'Hide' }));
    expect(field).toHaveTextContent('eyJh…Xk9Q');
    expect(JSON.stringify(localStorage)).not.toContain('the-real');
    expect(JSON.stringify(sessionStorage)).not.toContain('the-real');
  });

  test('Introspect shows the verdict; Refresh and Revoke show progress and results', async () => {
    let release: (v: unknown) => void = () => {};
    const calls = backend({
      refresh_account: () => new Promise((r) => (release = r)),
      revoke_account: () => ({
        account: account({ state: 'revoked' }),
        outcome: 'unknown',
        said: 'The provider no longer knows the token of "sam-sandbox" (HTTP 404: it was revoked or replaced elsewhere); its tokens are removed from this machine.',
      }),
    });
    renderInspect();
    await screen.findByRole('heading', { name: 'Sam Sandbox' });
    await userEvent.click(screen.getByRole('button', { name: 'Introspect' }));
    expect(await screen.findByTestId('verdict')).toHaveTextContent('Active');
    expect(screen.getByText('activity=READ_WRITE')).toBeInTheDocument();
    // Every field as it came, exp and iat (milliseconds or seconds) also as times.
    const fields = screen.getByTestId('verdict-fields');
    expect(fields).toHaveTextContent('Everything the provider said (7 fields)');
    expect(fields).toHaveTextContent(String((NOW + 3600) * 1000));
    expect(fields).toHaveTextContent(dateTime(NOW + 3600));
    expect(fields).toHaveTextContent(dateTime(NOW - 60));
    expect(screen.getByTestId('verdict-time')).toHaveTextContent(`Asked ${dateTime(NOW)}`);

    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByRole('button', { name: 'Refreshing…' })).toBeDisabled();
    release(detail());
    expect(await screen.findByText('New tokens received and saved.')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Revoke' }));
    // The refresh token unless the developer picks the access token; Rust's sentence is shown.
    expect(screen.getByRole('combobox', { name: 'Token to revoke' })).toHaveValue('refresh');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Token to revoke' }), 'access');
    await userEvent.click(screen.getByRole('button', { name: 'Yes, revoke' }));
    expect(await screen.findByText(/no longer knows the token of "sam-sandbox" \(HTTP 404/)).toBeInTheDocument();
    const revokes = calls.filter((c) => c.cmd === 'revoke_account');
    expect(revokes).toHaveLength(1);
    expect(revokes[0].args).toMatchObject({ name: 'sandbox', token: 'access' });
  });

  test('a failed refresh is explained', async () => {
    backend({
      refresh_account: () => {
        throw {
          kind: 'reconnect_needed',
          message: 'The account "sandbox" must be reconnected: the provider no longer accepts its sign-in.',
          hint: 'Reconnect the account.',
          detail: null,
        };
      },
    });
    renderInspect();
    await screen.findByRole('heading', { name: 'Sam Sandbox' });
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('must be reconnected');
  });

  test('Rename: the account is stored under the new name and stays selected', async () => {
    const calls = backend({
      rename_account: (a) => account({ name: a.newName as string }),
    });
    const { onchanged } = renderInspect([account(), account({ name: 'riley', label: 'Riley Visitor' })]);
    await screen.findByRole('heading', { name: 'Sam Sandbox' });
    expect(screen.getByText(/Account “sandbox”/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    const input = screen.getByRole('textbox', { name: 'New name' });
    expect(input).toHaveValue('sandbox');
    expect(input).toHaveFocus();
    await userEvent.clear(input);
    await userEvent.type(input, '  Sam at home ');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(calls.filter((c) => c.cmd === 'rename_account').map((c) => c.args)).toEqual([
      { name: 'sandbox', newName: 'Sam at home' },
    ]);
    // The renamed account is the one shown now: loaded under its new name.
    await waitFor(() => expect(calls.at(-1)).toEqual({ cmd: 'inspect_account', args: { name: 'Sam at home' } }));
    expect(await screen.findByText(/Account “Sam at home”/)).toBeInTheDocument();
    expect(screen.getByText('Renamed to “Sam at home”.')).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'New name' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Rename' })).toHaveFocus();
  });

  test('Rename: a name already in use is explained and the form stays open', async () => {
    const calls = backend({
      rename_account: () => {
        throw nameTakenReport;
      },
    });
    const { onchanged } = renderInspect([account(), account({ name: 'Riley', label: 'Riley Visitor' })]);
    await screen.findByRole('heading', { name: 'Sam Sandbox' });
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    const input = screen.getByRole('textbox', { name: 'New name' });
    await userEvent.clear(input);
    await userEvent.type(input, 'Riley');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('There is already an account named “Riley”.');
    expect(alert).toHaveTextContent('Choose another name.');
    expect(calls.find((c) => c.cmd === 'rename_account')?.args).toEqual({ name: 'sandbox', newName: 'Riley' });
    expect(onchanged).not.toHaveBeenCalled();
    expect(screen.getByRole('textbox', { name: 'New name' })).toHaveValue('Riley');
    expect(screen.getByText(/Account “sandbox”/)).toBeInTheDocument();
  });

  test('Rename: Cancel (or Escape) closes the form without asking Rust', async () => {
    const calls = backend();
    renderInspect();
    await screen.findByRole('heading', { name: 'Sam Sandbox' });
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'New name' }), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('textbox', { name: 'New name' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Rename' })).toHaveFocus();
    await userEvent.keyboard('{Enter}');
    expect(screen.getByRole('textbox', { name: 'New name' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('textbox', { name: 'New name' })).not.toBeInTheDocument();
    expect(calls.some((c) => c.cmd === 'rename_account')).toBe(false);
  });

  test('the account list shows each account by who it is, with its name', async () => {
    backend({
      inspect_account: () => detail({ account: account({ name: 'sam@example.com', email: 'sam@example.com' }) }),
    });
    renderInspect([
      account({ name: 'sam@example.com', email: 'sam@example.com' }),
      account({ name: 'Riley Visitor', user_id: 'SBX456', display_name: 'Riley Visitor', label: 'Riley Visitor' }),
    ]);
    const list = screen.getByRole('navigation', { name: 'Accounts' });
    const buttons = within(list).getAllByRole('button');
    expect(buttons).toHaveLength(2);
    expect(buttons[0]).toHaveTextContent('Sam Sandbox');
    expect(buttons[0]).toHaveTextContent('sam@example.com · fitbit');
    expect(buttons[1]).toHaveTextContent('Riley Visitor');
    expect(await screen.findByText('sam@example.com', { selector: 'dd' })).toBeInTheDocument();
  });

  test('no accounts yet', async () => {
    backend();
    renderInspect([]);
    expect(screen.getByText('No account is connected yet.')).toBeInTheDocument();
  });
});
