import { describe, expect, test, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import Connect from './Connect.svelte';
import { account, deniedReport, fitbitScopes, NOW, sandboxApp } from '../test/fixtures';

type Calls = { cmd: string; args: Record<string, unknown> }[];

function backend(over: Record<string, (args: Record<string, unknown>) => unknown> = {}): Calls {
  const calls: Calls = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (over[cmd]) return over[cmd]((args ?? {}) as Record<string, unknown>);
      switch (cmd) {
        case 'scope_catalog':
          return fitbitScopes;
        case 'start_connect':
          return {
            app: 'sandbox',
            account: 'sandbox',
            provider: 'fitbit',
            redirect: 'scheme',
            redirect_uri: 'fitauth://callback',
            started_at: NOW,
            expires_at: NOW + 600,
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
      request: { choice: 'sandbox', scopes: ['activity', 'heartrate', 'profile', 'sleep'], app: null },
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
    await emit('connect-finished', { account: account(), label: 'Sam Sandbox' });
    expect(await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' })).toBeInTheDocument();
    expect(screen.getByText(/Access renews automatically/)).toBeInTheDocument();
    expect(onchanged).toHaveBeenCalled();
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
      paste_redirect: () => ({ account: account(), label: 'Sam Sandbox' }),
    });
    renderConnect();
    await userEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Paste the address instead' }));
    await userEvent.type(screen.getByRole('textbox'), 'fitauth://callback?code=abc&state=xyz');
    await userEvent.click(screen.getByRole('button', { name: 'Use this address' }));
    await waitFor(() =>
      expect(calls.find((c) => c.cmd === 'paste_redirect')?.args).toEqual({
        address: 'fitauth://callback?code=abc&state=xyz',
      }),
    );
    expect(await screen.findByRole('heading', { name: 'Connected as Sam Sandbox' })).toBeInTheDocument();
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
    await userEvent.type(screen.getByRole('textbox'), 'fitauth://callback?code=abc&state=nope');
    await userEvent.click(screen.getByRole('button', { name: 'Use this address' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('does not belong');
    expect(screen.getByText('Finish in your browser…')).toBeInTheDocument();
  });
});
