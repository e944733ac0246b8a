import { test as base, expect, Page } from '@playwright/test';
import { admin } from '../playwright.config';

export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

export async function signIn(page: Page) {
  await page.goto('/admin/channels/feedback-webhooks');
  await expect(page).toHaveURL(/\/login\?next=/);
  await hydrated(page);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Feedback webhook settings' })).toBeVisible();
  await hydrated(page);
}


/// Every test's page fails its test if the browser refused anything under the server's
/// Content-Security-Policy: the app must hydrate and work with no inline script the policy
/// has not allowed by its nonce.
export const test = base.extend({
  page: async ({ page }, use) => {
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    await use(page);
    expect(refused, 'refused under the Content-Security-Policy').toEqual([]);
  },
});
export { expect };
