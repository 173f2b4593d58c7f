import '@testing-library/jest-dom/vitest';
import { randomFillSync } from 'node:crypto';
import { afterEach } from 'vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';

// jsdom has no WebCrypto getRandomValues; the Tauri IPC mock needs it.
Object.defineProperty(window, 'crypto', {
  value: { getRandomValues: (buffer: Uint8Array) => randomFillSync(buffer) },
});

afterEach(async () => {
  cleanup();
  // Components unlisten asynchronously on unmount; let that finish before the mocks go.
  await new Promise((resolve) => setTimeout(resolve, 0));
  clearMocks();
});
