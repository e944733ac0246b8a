import { expect, Page } from '@playwright/test';
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

