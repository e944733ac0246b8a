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
/// Content-Security-Policy (the app must hydrate and work with no inline script the policy
/// has not allowed by its nonce), or if the app panicked in the browser (a page that stops
/// updating would otherwise only show as a timeout).
export const test = base.extend({
  page: async ({ page }, use) => {
    const refused: string[] = [];
    const panics: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      // The hydration error says which element of which file did not match; kept with the
      // panic that follows it, and the address, so a failure names its page.
      if (/panicked at|hydration error/i.test(message.text())) panics.push(`${page.url()}: ${message.text()}`);
    });
    await use(page);
    expect(refused, 'refused under the Content-Security-Policy').toEqual([]);
    expect(panics, 'the app panicked in the browser').toEqual([]);
  },
});
export { expect };
