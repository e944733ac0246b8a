// The first-load benchmark (scripts/bench-first-load.sh): the release server and bundle, one
// run, timings printed rather than asserted.
import { defineConfig } from '@playwright/test';
import base, { baseURL } from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './bench',
  timeout: 120_000,
  webServer: {
    ...base.webServer,
    command: (base.webServer as { command: string }).command.replace('target/debug/', 'target/release/'),
    // FW_SITE_ROOT compares another build of the site (an older one, say) under the same server.
    env: {
      ...(base.webServer as { env: Record<string, string> }).env,
      LEPTOS_SITE_ROOT: process.env.FW_SITE_ROOT ?? '../target/site',
    },
  },
  use: { ...base.use, baseURL },
});
