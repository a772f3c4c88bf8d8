import { expect, Page } from '@playwright/test';

export const ADMIN_PASSWORD = process.env.QUIVER_ADMIN_PASSWORD ?? 'e2e-admin-password';

/** Waits until the WASM app has hydrated the server-rendered page. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

export async function signIn(page: Page, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(username);
}

/** A name unique to this run, so tests never collide with each other's data. */
export function unique(prefix: string) {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}
