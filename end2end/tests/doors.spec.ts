import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

const PASSWORD = 'correct horse battery staple';
const admin = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');

test('a page on another origin cannot approve a request with the approver\'s session', async ({ page, request, baseURL }) => {
  const catalog = unique('csrf');
  const user = unique('dana');
  const full = `${catalog}.ml_team.fraud`;
  const api = async (method: 'post' | 'put' | 'patch', url: string, data: object, auth = admin) => {
    const r = await request.fetch(url, { method, headers: { authorization: auth }, data });
    expect(r.status(), await r.text()).toBe(200);
    return r.json();
  };
  // A model with a protected @Champion, and a pending request from Dana to move it.
  await api('post', '/api/quiver/v1/catalogs', { name: catalog });
  await api('post', '/api/2.1/unity-catalog/schemas', { name: 'ml_team', catalog_name: catalog });
  await api('post', '/api/2.0/mlflow/registered-models/create', { name: full });
  for (const run of ['a', 'b']) {
    await api('post', '/api/2.0/mlflow/model-versions/create', { name: full, source: `runs:/${run}/model` });
  }
  await api('post', '/api/quiver/v1/users', { username: user, password: PASSWORD });
  await api('patch', `/api/2.1/unity-catalog/permissions/catalog/${catalog}`,
    { changes: [{ principal: user, add: ['USE_CATALOG', 'USE_SCHEMA', 'EXECUTE'] }] });
  await api('put', `/api/quiver/v1/protected-aliases/registered_model/${full}`, { aliases: ['Champion'], required_approvals: 1 });
  const dana = 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64');
  const asked = await api('post', '/api/quiver/v1/approval-requests',
    { model: full, version: 2, alias: 'Champion', action: 'set', justification: 'v2 wins' }, dana);

  // The approver is signed in; the app works under its Content-Security-Policy.
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text()); });
  await signIn(page);
  await page.goto('/approvals');
  await hydrated(page);

  // A page on the same host, another port: the same site, so SameSite=Lax cookies go along.
  const quiver = new URL(baseURL!);
  const evil = `${quiver.protocol}//${quiver.hostname}:${Number(quiver.port) + 1}`;
  const target = `${quiver.origin}/api/quiver/v1/approval-requests/${asked.id}/approve`;
  await page.route(`${evil}/**`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><body>
      <script>fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include' });</script>
      <form id="f" method="POST" action="${target}"><input name="comment" value="lgtm"></form>
      <script>setTimeout(() => document.getElementById('f').submit(), 300);</script></body>`,
  }));
  const answered = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST' && r.request().resourceType() === 'document');
  await page.goto(`${evil}/prize.html`);
  expect((await answered).status()).toBe(403);
  await expect(page.locator('body')).toContainText("did not come from Quiver's own pages");

  // Still pending; Quiver's own page approves it.
  const state = await request.get(`/api/quiver/v1/approval-requests/${asked.id}`, { headers: { authorization: admin } });
  expect((await state.json()).request.state).toBe('pending');
  await page.goto('/approvals');
  await hydrated(page);
  await page.getByTestId('inbox').getByRole('link', { name: 'Set @Champion to version 2' }).first().click();
  await hydrated(page);
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('request-state')).toHaveText('approved');
  expect(violations).toEqual([]);
});

test('descriptions cannot load remote images', async ({ page, request }) => {
  const catalog = unique('pixel');
  const r = await request.post('/api/quiver/v1/catalogs', {
    headers: { authorization: admin },
    data: { name: catalog, comment: 'Hi ![p](https://tracker.example.com/p.gif) ![local](/favicon.svg)' },
  });
  expect(r.status(), await r.text()).toBe(200);
  const remote: string[] = [];
  page.on('request', (req) => { if (req.url().includes('tracker.example.com')) remote.push(req.url()); });
  await signIn(page);
  await page.goto(`/explore/${catalog}`);
  await hydrated(page);
  await expect(page.locator('.markdown img[src="/favicon.svg"]')).toHaveCount(1);
  expect(remote).toEqual([]);
});
