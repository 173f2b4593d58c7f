import { describe, expect, test } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import App from './App.svelte';
import { fitbitScopes, overview } from './test/fixtures';

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
});
