import { describe, expect, test, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Connect from './Connect.svelte';
import { connected, deniedReport, fitbitScopes, NOW, registration, sandboxApp } from '../test/fixtures';

type Calls = { cmd: string; args: Record<string, unknown> }[];

function backend(over: Record<string, (args: Record<string, unknown>) => unknown> = {}): Calls {
  const calls: Calls = [];
  mockIPC(
    (cmd, a) => {
      calls.push({ cmd, args: (a ?? {}) as Record<string, unknown> });
      if (over[cmd]) return over[cmd]((a ?? {}) as Record<string, unknown>);
      const args = (a ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case 'scope_catalog':
          return fitbitScopes;
        case 'start_connect':
          return {
            app: 'sandbox',
            account: null,
            provider: 'fitbit',
            redirect: 'scheme',
            redirect_uri: 'fitauth://callback',
            started_at: NOW,
            expires_at: NOW + 600,
            authorize_url: 'http://127.0.0.1:40001/oauth2/authorize?client_id=sandbox-client&state=st8',
            grant: (args.request as { grant?: string }).grant ?? 'code',
            browser_opened: !(args.request as { no_browser?: boolean }).no_browser,
          };
        case 'cancel_connect':
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

function renderConnect(apps = [sandboxApp]) {
  const ongoto = vi.fn();
  const onchanged = vi.fn();
  render(Connect, { apps, ongoto, onchanged });
  return { ongoto, onchanged };
}

describe('Connect', () => {
  test('idle: three ways to connect, plain-language scopes, only what the app needs preselected', async () => {
    backend();
    renderConnect([]);
    expect(screen.getByRole('radio', { name: /Fitbit via Google account/ })).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /Fitbit \(legacy API\)/ })).toBeInTheDocument();
    const sandbox = screen.getByRole('radio', { name: /Try it offline \(sandbox\)/ });
    expect(sandbox).toBeChecked(); // nothing configured: the sandbox is offered
    const profile = await screen.findByRole('checkbox', { name: /Profile/ });
    expect(profile).toBeChecked();
    expect(screen.getByRole('checkbox', { name: /Activity/ })).not.toBeChecked();
    expect(screen.getByText('Steps, distance, calories.')).toBeInTheDocument();
    expect(screen.getByText(/We recommend sharing everything/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect' })).toBeEnabled();
  });

  test('a provider without a registration points to Apps', async () => {
    backend();
    const { ongoto } = renderConnect([]);
    await userEvent.click(screen.getByRole('radio', { name: /Fitbit via Google account/ }));
    expect(screen.getByText(/add your Google desktop OAuth client first/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Connect' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Set it up under Apps' }));
    expect(ongoto).toHaveBeenCalledWith('apps');
  });

  test('waiting: Connect asks Rust to start, then shows "Finish in your browser…" with Cancel', async () => {
    const calls = backend();
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: /Select all/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Finish in your browser…')).toBeInTheDocument();
    const start = calls.find((c) => c.cmd === 'start_connect');
    expect(start?.args).toEqual({
      request: {
        choice: 'sandbox',
        scopes: ['activity', 'heartrate', 'profile', 'sleep'],
        app: null,
        account: null,
      },
    });
    expect(screen.getByText(/This sign-in expires in/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.cmd === 'cancel_connect')).toBe(true);
    expect(await screen.findByRole('button', { name: 'Connect' })).toBeInTheDocument();
  });

  test('success: the finish event says who is connected and that access renews', async () => {
    backend();
    const { onchanged } = renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    await emit('connect-finished', connected());
    expect(await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' })).toBeInTheDocument();
    expect(screen.getByText(/Access renews automatically/)).toBeInTheDocument();
    expect(onchanged).toHaveBeenCalled();
  });

  test('success: a new account says the name it was saved under', async () => {
    backend();
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    await emit('connect-finished', connected({ name: 'sam@example.com', email: 'sam@example.com' }));
    await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' });
    expect(screen.getByText('Saved as “sam@example.com”.')).toBeInTheDocument();
    expect(screen.queryByText(/Updated the existing account/)).not.toBeInTheDocument();
  });

  test('success: signing in again as the same person updates that account in place', async () => {
    backend();
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    await emit('connect-finished', connected({ name: 'Sam at home' }, true));
    await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' });
    expect(screen.getByText('Updated the existing account “Sam at home”.')).toBeInTheDocument();
    expect(screen.queryByText(/Saved as/)).not.toBeInTheDocument();
  });

  test('the account name is optional: sent trimmed, or null when left blank', async () => {
    const calls = backend();
    renderConnect();
    const name = await screen.findByRole('textbox', { name: 'Account name' });
    expect(name).toHaveValue('');
    expect(name).toHaveAttribute('placeholder', 'Named after you');
    expect(name).toHaveAccessibleDescription(
      'Optional: by default the account is named after the person who signs in.',
    );

    await userEvent.type(name, '   ');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    expect(calls.filter((c) => c.cmd === 'start_connect').at(-1)?.args).toMatchObject({
      request: { choice: 'sandbox', app: null, account: null },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));

    const again = await screen.findByRole('textbox', { name: 'Account name' });
    await userEvent.clear(again);
    await userEvent.type(again, '  Work watch  ');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    expect(calls.filter((c) => c.cmd === 'start_connect').at(-1)?.args).toMatchObject({
      request: { choice: 'sandbox', app: null, account: 'Work watch' },
    });
  });

  test('waiting: a name given for the account is mentioned', async () => {
    backend({
      start_connect: (args) => ({
        app: 'sandbox',
        account: (args.request as { account: string | null }).account,
        provider: 'fitbit',
        redirect: 'scheme',
        redirect_uri: 'fitauth://callback',
        started_at: NOW,
        expires_at: NOW + 600,
      }),
    });
    renderConnect();
    await userEvent.type(await screen.findByRole('textbox', { name: 'Account name' }), 'Work watch');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    expect(screen.getByText(/It will be saved as “Work watch”\./)).toBeInTheDocument();
  });

  test('"Connect another account" starts over with the name field cleared', async () => {
    backend();
    renderConnect();
    await userEvent.type(await screen.findByRole('textbox', { name: 'Account name' }), 'Work watch');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    await emit('connect-finished', connected({ name: 'Work watch' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Connect another account' }));
    expect(await screen.findByRole('textbox', { name: 'Account name' })).toHaveValue('');
    expect(screen.getByRole('button', { name: 'Connect' })).toBeInTheDocument();
  });

  test('several registrations for the chosen way: a picker, and the picked one is sent', async () => {
    const calls = backend();
    renderConnect([sandboxApp, registration('work-fitbit'), registration('home-fitbit')]);
    // Fitbit apps only: the legacy API is chosen.
    expect(screen.getByRole('radio', { name: /Fitbit \(legacy API\)/ })).toBeChecked();
    const picker = await screen.findByRole('combobox', { name: 'Registration' });
    expect(picker).toHaveValue('work-fitbit');
    // The sandbox registration is not one of them.
    expect(
      Array.from((picker as HTMLSelectElement).options).map((o) => o.value),
    ).toEqual(['work-fitbit', 'home-fitbit']);
    await userEvent.selectOptions(picker, 'home-fitbit');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    expect(calls.find((c) => c.cmd === 'start_connect')?.args).toEqual({
      request: { choice: 'fitbit', scopes: ['profile'], app: 'home-fitbit', account: null },
    });
  });

  test('one registration, or the sandbox: no picker, and Rust uses the first', async () => {
    const calls = backend();
    renderConnect([registration('only-google', 'google-health'), registration('work-fitbit'), registration('home-fitbit')]);
    // Google is chosen first and has a single registration.
    expect(screen.getByRole('radio', { name: /Fitbit via Google account/ })).toBeChecked();
    await screen.findByRole('textbox', { name: 'Account name' });
    expect(screen.queryByRole('combobox', { name: 'Registration' })).not.toBeInTheDocument();
    // The legacy API has two.
    await userEvent.click(screen.getByRole('radio', { name: /Fitbit \(legacy API\)/ }));
    expect(await screen.findByRole('combobox', { name: 'Registration' })).toHaveValue('work-fitbit');
    // The sandbox has none to pick from.
    await userEvent.click(screen.getByRole('radio', { name: /Try it offline/ }));
    await screen.findByRole('checkbox', { name: /Profile/ });
    expect(screen.queryByRole('combobox', { name: 'Registration' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('radio', { name: /Fitbit via Google account/ }));
    await userEvent.click(await screen.findByRole('button', { name: 'Select all' }));
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    expect(calls.find((c) => c.cmd === 'start_connect')?.args).toMatchObject({
      request: { choice: 'google-health', app: null, account: null },
    });
  });

  test('Google: "Select all" ticks the read scopes; writing ones are apart, unticked, saying what they allow', async () => {
    const GH = 'https://www.googleapis.com/auth/googlehealth.';
    const calls = backend({
      scope_catalog: () => [
        { provider: 'google-health', scope: `${GH}sleep.readonly`, label: 'Sleep', description: 'See your sleep data.', writes: false },
        { provider: 'google-health', scope: `${GH}sleep.writeonly`, label: 'Add sleep', description: 'Add sleep data, and change or delete what this app added.', writes: true },
        { provider: 'google-health', scope: `${GH}profile.readonly`, label: 'Profile', description: 'See your profile.', writes: false },
      ],
    });
    renderConnect([registration('google', 'google-health')]);
    await userEvent.click(await screen.findByRole('button', { name: 'Select all' }));
    expect(screen.getByRole('checkbox', { name: /^Sleep/ })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: /^Profile/ })).toBeChecked();
    const writes = screen.getByTestId('write-scopes');
    expect(writes).toHaveTextContent('Also let the app add or change data (1)');
    expect(writes).toHaveTextContent('Add sleep data, and change or delete what this app added.');
    const add = screen.getByRole('checkbox', { name: /^Add sleep/ });
    expect(add).not.toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    const scopes = (calls.find((c) => c.cmd === 'start_connect')?.args.request as { scopes: string[] }).scopes;
    expect(scopes.sort()).toEqual([`${GH}profile.readonly`, `${GH}sleep.readonly`]);
  });

  test('a name that belongs to someone else is explained; Try again keeps it to edit', async () => {
    backend({
      start_connect: () => {
        throw {
          kind: 'account_taken',
          message: 'The account “Riley” belongs to someone else, so nothing was saved.',
          hint: 'Connect again with another name, or leave the name empty.',
          detail: null,
        };
      },
    });
    const { ongoto } = renderConnect();
    await userEvent.type(await screen.findByRole('textbox', { name: 'Account name' }), 'Riley');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('belongs to someone else');
    expect(screen.queryByRole('button', { name: 'Open Apps' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('textbox', { name: 'Account name' })).toHaveValue('Riley');
    expect(ongoto).not.toHaveBeenCalled();
  });

  test('a misconfigured registration offers Apps', async () => {
    backend({
      start_connect: () => {
        throw {
          kind: 'config',
          message: 'The app registration “work-fitbit” is missing its client secret.',
          hint: 'Add the client secret under Apps.',
          detail: null,
        };
      },
    });
    const { ongoto } = renderConnect([registration('work-fitbit')]);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('missing its client secret');
    await userEvent.click(screen.getByRole('button', { name: 'Open Apps' }));
    expect(ongoto).toHaveBeenCalledWith('apps');
  });

  test('error: a failure is a sentence and a next step, never JSON', async () => {
    backend({
      start_connect: () => {
        throw deniedReport;
      },
    });
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('You chose not to share access, so nothing was connected.');
    expect(alert).toHaveTextContent('Connect again and choose Allow to share your data.');
    expect(alert.textContent).not.toMatch(/[{}]/);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: 'Connect' })).toBeInTheDocument();
  });

  test('a failure reported later by event ends the wait', async () => {
    backend();
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await screen.findByText('Finish in your browser…');
    await emit('connect-failed', deniedReport);
    expect(await screen.findByRole('alert')).toHaveTextContent('You chose not to share access');
  });

  test('paste the address instead', async () => {
    const calls = backend({
      paste_redirect: () => connected(),
    });
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Paste the address instead' }));
    await userEvent.type(screen.getByPlaceholderText('fitauth://callback?code=…'), 'fitauth://callback?code=abc&state=xyz');
    await userEvent.click(screen.getByRole('button', { name: 'Use this address' }));
    await waitFor(() =>
      expect(calls.find((c) => c.cmd === 'paste_redirect')?.args).toEqual({
        address: 'fitauth://callback?code=abc&state=xyz',
      }),
    );
    expect(await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' })).toBeInTheDocument();
  });

  test('advanced: the implicit grant with a lifetime and a prompt, and the address instead of the browser', async () => {
    const calls = backend();
    renderConnect();
    await screen.findByRole('checkbox', { name: /Profile/ });
    const advanced = screen.getByTestId('advanced');
    expect(advanced).not.toHaveAttribute('open');
    await userEvent.click(screen.getByText(/Advanced: grant, prompt, lifetime/));
    const grant = screen.getByRole('combobox', { name: 'Grant' });
    // The sandbox is a client app: no client credentials, and PKCE is not optional.
    expect(Array.from((grant as HTMLSelectElement).options).map((o) => o.value)).toEqual(['code', 'implicit']);
    expect(screen.queryByRole('checkbox', { name: /PKCE/ })).not.toBeInTheDocument();
    await userEvent.selectOptions(grant, 'implicit');
    expect(screen.getByText(/no refresh token: reconnect when it expires/)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Token lifetime' }), '1 week');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Prompt' }), 'login consent');
    await userEvent.click(screen.getByRole('checkbox', { name: /Show the sign-in address instead/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Finish in your browser…')).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === 'start_connect')?.args).toEqual({
      request: {
        choice: 'sandbox',
        scopes: ['profile'],
        app: null,
        account: null,
        grant: 'implicit',
        pkce: false,
        prompt: 'login consent',
        lifetime: 604800,
        no_browser: true,
      },
    });
    expect(screen.getByText(/Open the address below in the browser you want/)).toBeInTheDocument();
    expect(screen.getByLabelText('Sign-in address')).toHaveValue(
      'http://127.0.0.1:40001/oauth2/authorize?client_id=sandbox-client&state=st8',
    );
    expect(screen.getByRole('button', { name: 'Copy' })).toBeInTheDocument();
  });

  test('advanced: a server app gets an app token by client credentials, with no browser', async () => {
    const server = { ...registration('my-server'), app_type: 'server' as const, has_client_secret: true };
    const calls = backend({
      get_app_token: () => connected(),
    });
    renderConnect([server]);
    await userEvent.click(screen.getByRole('radio', { name: /Fitbit \(legacy API\)/ }));
    await screen.findByRole('checkbox', { name: /Profile/ });
    await userEvent.click(screen.getByText(/Advanced: grant, prompt, lifetime/));
    const grant = screen.getByRole('combobox', { name: 'Grant' });
    expect(Array.from((grant as HTMLSelectElement).options).map((o) => o.value)).toEqual([
      'code',
      'client_credentials',
    ]);
    // A server app may leave PKCE out.
    expect(screen.getByRole('checkbox', { name: /PKCE/ })).toBeChecked();
    await userEvent.selectOptions(grant, 'client_credentials');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Token lifetime' }), '1 hour');
    await userEvent.click(screen.getByRole('button', { name: 'Get app token' }));
    await waitFor(() =>
      expect(calls.find((c) => c.cmd === 'get_app_token')?.args).toEqual({
        registration: 'my-server',
        lifetime: 3600,
        account: null,
      }),
    );
    expect(calls.some((c) => c.cmd === 'start_connect')).toBe(false);
    expect(await screen.findByRole('heading', { name: /Connected as/ })).toBeInTheDocument();
  });

  test('a refused pasted address is explained', async () => {
    backend({
      paste_redirect: () => {
        throw {
          kind: 'state_mismatch',
          message: 'This sign-in response does not belong to the sign-in this app started.',
          hint: 'Nothing was changed.',
          detail: null,
        };
      },
    });
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Paste the address instead' }));
    await userEvent.type(screen.getByPlaceholderText('fitauth://callback?code=…'), 'fitauth://callback?code=abc&state=nope');
    await userEvent.click(screen.getByRole('button', { name: 'Use this address' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('does not belong');
    expect(screen.getByText('Finish in your browser…')).toBeInTheDocument();
  });
});
