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

/** Creates catalog → schema `ml_team` → model through the UI and registers `versions` versions.
 *  Returns the model page's path. */
export async function seedModel(page: Page, catalog: string, model = 'fraud', versions = 2): Promise<string> {
  await page.goto('/explore');
  await hydrated(page);
  await page.getByRole('button', { name: 'New catalog' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill(catalog);
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}$`));
  await page.getByRole('button', { name: 'New schema' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill('ml_team');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team$`));
  await createModel(page, catalog, model);
  const path = `/explore/${catalog}/ml_team/${model}`;
  for (let i = 1; i <= versions; i++) {
    await page.goto(`${path}/versions/new`);
    await hydrated(page);
    await page.getByLabel('Source').fill(`runs:/run${i}/model`);
    await page.getByRole('button', { name: 'Register version' }).click();
    await expect(page).toHaveURL(new RegExp(`${path}/versions/${i}$`));
  }
  return path;
}

/** Creates a model in an existing `<catalog>.ml_team` schema through the UI. */
export async function createModel(page: Page, catalog: string, model: string) {
  await page.goto(`/explore/${catalog}/ml_team`);
  await hydrated(page);
  await page.getByRole('button', { name: 'New model' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill(model);
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/explore/${catalog}/ml_team/${model}$`));
}
