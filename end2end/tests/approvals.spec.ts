import { expect, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { ADMIN_PASSWORD, hydrated, seedModel, signIn, unique } from './helpers';

const PASSWORD = 'correct horse battery staple';
const admin = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');

/** A loopback webhook receiver that checks each Standard Webhooks signature. */
async function receiver() {
  const got: { type: string; valid: boolean }[] = [];
  let secret = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const ts = String(req.headers['webhook-timestamp']);
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
      const valid = String(req.headers['webhook-signature']).split(' ').includes(expected);
      got.push({ type: JSON.parse(body).type, valid });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, setSecret: (s: string) => (secret = s), close: () => server.close() };
}

test('a user requests Champion → v2, an approver approves it in the inbox, the alias moves and CI hears of it', async ({ page, browser, request }) => {
  const hook = await receiver();
  await signIn(page);
  const catalog = unique('appr');
  const user = unique('dana');
  const path = await seedModel(page, catalog, 'fraud', 2);
  const full = `${catalog}.ml_team.fraud`;
  const api = async (method: 'post' | 'put' | 'patch', url: string, data: object) => {
    const r = await request.fetch(url, { method, headers: { authorization: admin }, data });
    expect(r.status(), await r.text()).toBe(200);
    return r.json();
  };
  await api('post', '/api/quiver/v1/users', { username: user, password: PASSWORD });
  await api('patch', `/api/2.1/unity-catalog/permissions/catalog/${catalog}`,
    { changes: [{ principal: user, add: ['USE_CATALOG', 'USE_SCHEMA', 'EXECUTE'] }] });
  await api('post', '/api/2.0/mlflow/registered-models/alias', { name: full, alias: 'Champion', version: '1' });
  await api('put', `/api/quiver/v1/protected-aliases/registered_model/${full}`, { aliases: ['Champion'], required_approvals: 1 });
  const created = await api('post', '/api/quiver/v1/webhooks', {
    url: hook.url, events: ['approval_request.created', 'approval_request.approved'],
    scope: { type: 'registered_model', full_name: full },
  });
  hook.setSecret(created.secret);

  // The requester asks on the model's Approvals tab.
  const context = await browser.newContext();
  const dana = await context.newPage();
  await signIn(dana, user, PASSWORD);
  await dana.goto(`${path}?tab=approvals`);
  await hydrated(dana);
  await expect(dana.getByTestId('protected-aliases')).toContainText('@Champion');
  const form = dana.getByTestId('request-form');
  await form.getByLabel('Version').fill('2');
  await form.getByLabel('Justification (markdown)').fill('Beats v1 on **recall**.');
  await form.getByRole('button', { name: 'Request approval' }).click();
  await expect(dana.getByTestId('toast').last()).toContainText('Requested: Set @Champion to version 2.');
  await expect(dana.getByTestId('requests')).toContainText('pending');

  // The approver finds it in the inbox and approves it.
  await page.goto('/approvals');
  await hydrated(page);
  await page.getByTestId('inbox').getByRole('link', { name: 'Set @Champion to version 2' }).click();
  await hydrated(page);
  await expect(page.getByTestId('timeline')).toContainText('recall');
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('toast').last()).toContainText('The request is approved.');
  await expect(page.getByTestId('request-state')).toHaveText('approved');

  // The alias moved; the requester sees the request approved.
  const alias = await request.get(`/api/2.0/mlflow/registered-models/alias?name=${full}&alias=Champion`, { headers: { authorization: admin } });
  expect((await alias.json()).model_version.version).toBe('2');
  await dana.goto(`${path}?tab=approvals`);
  await hydrated(dana);
  await expect(dana.getByTestId('requests')).toContainText('approved');

  // The receiver got both events, signed.
  await expect.poll(() => hook.got.map((g) => g.type).sort(), { timeout: 15_000 })
    .toEqual(['approval_request.approved', 'approval_request.created']);
  expect(hook.got.every((g) => g.valid)).toBe(true);

  // The webhook's page shows the deliveries.
  await page.goto(`/webhooks/${created.webhook.id}`);
  await hydrated(page);
  await expect(page.getByTestId('deliveries')).toContainText('approval_request.approved');
  await context.close();
  hook.close();
});

test('an admin protects an alias on a whole schema from its page, and its models inherit it', async ({ page }) => {
  await signIn(page);
  const catalog = unique('prot');
  const path = await seedModel(page, catalog, 'fraud', 1);
  await page.goto(`/explore/${catalog}/ml_team`);
  await hydrated(page);
  const section = page.getByTestId('alias-policy-section');
  await section.locator('summary').click();
  await section.getByLabel('Protected aliases').fill('Production');
  await section.getByRole('button', { name: 'Save protection' }).click();
  await expect(page.getByTestId('toast').last()).toContainText('Protected aliases saved.');

  await page.goto(`${path}?tab=approvals`);
  await hydrated(page);
  await expect(page.getByTestId('protected-aliases')).toContainText('@Production');
});
