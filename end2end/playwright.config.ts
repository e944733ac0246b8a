import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One fresh database per run, shared by the workers through the environment.
process.env.FW_E2E_DIR ??= mkdtempSync(join(tmpdir(), 'fw-e2e-'));
const port = Number(process.env.FW_E2E_PORT ?? 3217);
export const baseURL = `http://127.0.0.1:${port}`;
export const admin = { email: 'admin@example.com', password: 'tidal marmot quarterly ledger' };

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    // FW_E2E_DATABASE_URL runs the same tests on another database (a fresh PostgreSQL one, say).
    command: `../target/debug/feedback-webhooks --listen 127.0.0.1:${port} --database-url ${process.env.FW_E2E_DATABASE_URL ?? `sqlite://${process.env.FW_E2E_DIR}/e2e.db`}`,
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      LEPTOS_SITE_ROOT: '../target/site',
      FW_ADMIN_EMAIL: admin.email,
      FW_ADMIN_PASSWORD: admin.password,
      FW_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
      // Failing deliveries fail for good within a second, so the history tests need not wait.
      FW_RETRY_SCHEDULE: '300ms',
      // A PostgreSQL database keeps no key file beside it.
      FW_ENCRYPTION_KEY: 'ZTJlLWtleS1lMmUta2V5LWUyZS1rZXktZTJlLWtleTM=',
    },
  },
});
