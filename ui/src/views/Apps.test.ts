import { describe, expect, test, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import Apps from './Apps.svelte';
import { sandboxApp } from '../test/fixtures';
import type { AppView } from '../lib/api';

type Calls = { cmd: string; args: Record<string, unknown> }[];

function backend(over: Record<string, (args: Record<string, unknown>) => unknown> = {}): Calls {
  const calls: Calls = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    if (over[cmd]) return over[cmd](a);
  });
  return calls;
}

const googleView: AppView = {
  ...sandboxApp,
  name: 'my-google',
  provider: 'google-health',
  client_id: '1234.apps.googleusercontent.com',
  is_sandbox: false,
  is_builtin: false,
  has_client_secret: true,
  base_url: null,
  redirect: 'loopback',
  redirect_uris: ['http://127.0.0.1'],
  redirect_note: 'Google desktop clients accept any loopback port.',
};

describe('Apps', () => {
  test('a registration built into this copy says so and cannot be edited or removed', () => {
    backend();
    const builtin: AppView = {
      ...googleView,
      name: 'built-in-google',
      is_builtin: true,
      redirect_note: 'Built into this copy of Fitauth: already registered, nothing to do.',
    };
    render(Apps, { apps: [builtin, googleView], onchanged: vi.fn() });
    expect(screen.getByText(/built into this copy of Fitauth$/)).toBeInTheDocument();
    expect(screen.getByText(/already registered, nothing to do/)).toBeInTheDocument();
    // Only the user's own registration has Edit and Remove.
    expect(screen.getAllByRole('button', { name: 'Edit' })).toHaveLength(1);
    expect(screen.getAllByRole('button', { name: 'Remove' })).toHaveLength(1);
  });

  test('adding a Google desktop client sends the form to Rust and shows the redirect to register', async () => {
    const calls = backend({ save_app: () => googleView });
    const onchanged = vi.fn();
    render(Apps, { apps: [sandboxApp], onchanged });
    expect(screen.getByText('sandbox')).toBeInTheDocument();
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'my-google');
    await userEvent.type(screen.getByRole('textbox', { name: 'Client id' }), '1234.apps.googleusercontent.com');
    await userEvent.type(screen.getByLabelText('Client secret'), 'shh');
    await userEvent.click(screen.getByRole('checkbox', { name: /The consent screen is in Testing/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(calls.find((c) => c.cmd === 'save_app')?.args).toEqual({
      input: {
        name: 'my-google',
        provider: 'google-health',
        client_id: '1234.apps.googleusercontent.com',
        app_type: 'client',
        redirect: 'loopback',
        base_url: null,
        client_secret: 'shh',
        testing: true,
      },
    });
    expect(screen.getByTestId('saved-redirect')).toHaveTextContent('http://127.0.0.1');
    // The secret is not kept in the form after saving.
    expect(screen.getByLabelText('Client secret')).toHaveValue('');
  });

  test('a Fitbit server app with a custom base URL and the fitauth:// redirect', async () => {
    const calls = backend({
      save_app: (a) => ({
        ...sandboxApp,
        name: 'fb',
        is_sandbox: false,
        is_builtin: false,
        redirect_uris: ['fitauth://callback', 'http://127.0.0.1:47813/callback'],
        app_type: (a.input as { app_type: string }).app_type,
      }),
    });
    render(Apps, { apps: [], onchanged: vi.fn() });
    await userEvent.click(screen.getByRole('radio', { name: /Fitbit — Server/ }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'fb');
    await userEvent.type(screen.getByRole('textbox', { name: 'Client id' }), '23ABCD');
    await userEvent.type(screen.getByRole('textbox', { name: /Custom base URL/ }), 'http://127.0.0.1:8765');
    await userEvent.click(screen.getByRole('radio', { name: /fitauth:\/\/callback link/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findAllByTestId('saved-redirect');
    const input = calls.find((c) => c.cmd === 'save_app')?.args.input as Record<string, unknown>;
    expect(input).toMatchObject({ provider: 'fitbit', app_type: 'server', redirect: 'scheme', base_url: 'http://127.0.0.1:8765', client_secret: null });
    expect(screen.getAllByTestId('saved-redirect').map((e) => e.textContent)).toEqual([
      'fitauth://callback',
      'http://127.0.0.1:47813/callback',
    ]);
  });

  test('a refused form is explained', async () => {
    backend({
      save_app: () => {
        throw {
          kind: 'config',
          message: 'The app is not set up correctly: this kind of app needs its client secret.',
          hint: 'Check the app registration under Apps.',
          detail: null,
        };
      },
    });
    render(Apps, { apps: [], onchanged: vi.fn() });
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'g');
    await userEvent.type(screen.getByRole('textbox', { name: 'Client id' }), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('needs its client secret');
  });

  test('the sandbox can be started from here when it is not registered', async () => {
    const calls = backend({ start_sandbox: () => ({ base_url: 'http://127.0.0.1:1', app: sandboxApp }) });
    const onchanged = vi.fn();
    render(Apps, { apps: [], onchanged });
    await userEvent.click(screen.getByRole('button', { name: 'Start the built-in sandbox' }));
    await waitFor(() => expect(onchanged).toHaveBeenCalled());
    expect(calls.some((c) => c.cmd === 'start_sandbox')).toBe(true);
  });
});
