import { APIRequestContext, expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

const admin = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');

type Call = (method: string, url: string, data?: object) => Promise<any>;

/** Admin JSON calls that must succeed. */
function api(request: APIRequestContext): Call {
  return async (method, url, data) => {
    const r = await request.fetch(url, { method, headers: { authorization: admin }, data });
    expect(r.ok(), `${method} ${url}: ${await r.text()}`).toBeTruthy();
    return r.json();
  };
}

/** `<catalog>.ml.fraud`, without versions. */
async function seedModel(call: Call, catalog: string) {
  await call('post', '/api/2.1/unity-catalog/catalogs', { name: catalog });
  await call('post', '/api/2.1/unity-catalog/schemas', { name: 'ml', catalog_name: catalog });
  await call('post', '/api/2.0/mlflow/registered-models/create', { name: `${catalog}.ml.fraud` });
}

test('checks CI reports show on the version, in the versions table and on the approval request', async ({ page, request }) => {
  const catalog = unique('checks');
  const full = `${catalog}.ml.fraud`;
  const call = api(request);
  await seedModel(call, catalog);
  for (const i of [1, 2]) {
    await call('post', '/api/2.0/mlflow/model-versions/create', { name: full, source: `s3://bucket/fraud/${i}` });
  }
  const checks = `/api/quiver/v1/models/${full}/versions/2/checks`;
  await call('put', `${checks}/eval%2Faccuracy`, {
    status: 'completed', conclusion: 'success', details_url: 'https://ci.example.com/runs/7',
    summary: 'accuracy **0.93** <script>window.pwned = 1</script>',
    started_at: '2026-12-08T00:40:00Z', completed_at: '2026-12-08T00:44:12Z',
  });
  await call('put', `${checks}/bias-audit`, { status: 'completed', conclusion: 'failure' });
  await call('put', `${checks}/load-test`, { status: 'in_progress' });

  await signIn(page);
  await page.goto(`/explore/${catalog}/ml/fraud/versions/2`);
  await hydrated(page);
  const table = page.getByTestId('checks');
  await expect(table.locator('tr[data-check]')).toHaveCount(3);
  const evalRow = table.locator('tr[data-check="eval/accuracy"]');
  await expect(evalRow).toContainText('success');
  await expect(evalRow).toContainText('4 min 12 s');
  await expect(evalRow.getByRole('link', { name: 'eval/accuracy' })).toHaveAttribute('href', 'https://ci.example.com/runs/7');
  await evalRow.getByText('Summary').click();
  await expect(evalRow.locator('.markdown strong')).toHaveText('0.93');
  expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
  await expect(table.locator('tr[data-check="bias-audit"]')).toContainText('failure');
  await expect(table.locator('tr[data-check="load-test"]')).toContainText('in progress');

  // Version 1 has none, and says how to report one.
  await page.goto(`/explore/${catalog}/ml/fraud/versions/1`);
  await expect(page.getByText('No checks reported')).toBeVisible();
  await expect(page.getByText(`PUT /api/quiver/v1/models/${full}/versions/1/checks/<name>`)).toBeVisible();

  // The versions table rolls them up and links to them.
  await page.goto(`/explore/${catalog}/ml/fraud`);
  const rollup = page.getByTestId('versions').locator('a.check-rollup');
  await expect(rollup).toHaveCount(1);
  await expect(rollup).toHaveText('1 failed · 1 pending · 1 passed');
  await rollup.click();
  await expect(page).toHaveURL(new RegExp(`/versions/2#checks$`));

  // An approval request to point an alias at version 2 shows its checks.
  const req = await call('post', '/api/quiver/v1/approval-requests', { model: full, version: 2, alias: 'Champion', action: 'set', justification: 'v2' });
  await page.goto(`/approvals/${req.id}`);
  await expect(page.getByTestId('checks').locator('tr[data-check]')).toHaveCount(3);
});

test('two versions compare side by side, picked from the versions table', async ({ page, request }) => {
  const catalog = unique('cmp');
  const full = `${catalog}.ml.fraud`;
  const call = api(request);
  await seedModel(call, catalog);
  const experiment = (await call('post', '/api/2.0/mlflow/experiments/create', { name: unique('exp') })).experiment_id;
  for (const [i, acc] of [[1, 0.91], [2, 0.93]] as const) {
    const run = (await call('post', '/api/2.0/mlflow/runs/create', { experiment_id: experiment, run_name: `train-${i}` })).run.info;
    await call('post', '/api/2.0/mlflow/runs/log-batch', {
      run_id: run.run_id,
      metrics: [{ key: 'accuracy', value: acc, timestamp: 1, step: 0 }],
      params: [{ key: 'max_depth', value: String(4 + i) }],
    });
    await call('post', '/api/2.0/mlflow/model-versions/create', { name: full, source: `s3://bucket/fraud/${i}`, run_id: run.run_id });
  }
  await call('post', '/api/2.0/mlflow/registered-models/alias', { name: full, alias: 'Champion', version: '1' });

  await signIn(page);
  await page.goto(`/explore/${catalog}/ml/fraud`);
  await hydrated(page);
  await page.getByLabel('Pick version 1 to compare').check();
  await page.getByLabel('Pick version 2 to compare').check();
  await page.getByTestId('compare-picked').click();
  await expect(page).toHaveURL(/\/compare\?v=\d&v=\d$/);
  const metrics = page.getByTestId('compare-metrics');
  await expect(metrics.locator('tr[data-key="accuracy"]')).toContainText('0.91');
  await expect(metrics.locator('tr[data-key="accuracy"]')).toContainText('+0.02');
  await expect(page.getByTestId('compare-params').locator('tr[data-key="max_depth"]')).toHaveClass(/row-changed/);
  await expect(page.getByTestId('compare-overview').locator('tr[data-key="aliases"]')).toContainText('@Champion');

  // By alias, straight from the URL, and the form shows what it compares.
  await page.goto(`/explore/${catalog}/ml/fraud/compare?a=Champion&b=2`);
  await expect(page.locator('#compare-a')).toHaveValue('Champion');
  await expect(page.getByTestId('compare-summary')).toContainText('differences');
  // An unknown version is a clear not-found, not an error page.
  await page.goto(`/explore/${catalog}/ml/fraud/compare?a=1&b=9`);
  await expect(page.getByText(/version 9/i)).toBeVisible();
});

test('a protected alias with gates moves only once its required check passes', async ({ page, request }) => {
  const catalog = unique('gate');
  const full = `${catalog}.ml.fraud`;
  const call = api(request);
  await seedModel(call, catalog);
  for (const i of [1, 2]) {
    await call('post', '/api/2.0/mlflow/model-versions/create', { name: full, source: `s3://bucket/fraud/${i}` });
  }
  await call('post', '/api/2.0/mlflow/registered-models/alias', { name: full, alias: 'Champion', version: '1' });
  await call('put', `/api/quiver/v1/protected-aliases/registered_model/${full}`, {
    aliases: ['Champion'], required_approvals: 1, allow_self_approval: true, required_checks: ['eval'],
  });
  const req = await call('post', '/api/quiver/v1/approval-requests', { model: full, version: 2, alias: 'Champion', action: 'set', justification: 'v2' });

  await signIn(page);
  await page.goto(`/approvals/${req.id}`);
  await hydrated(page);
  const rules = page.getByTestId('rules');
  await expect(rules.locator('li[data-rule="check eval"]')).toHaveAttribute('data-state', 'waiting');
  await expect(rules).toContainText('not reported yet');
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('toast').last()).toContainText('waits');
  await expect(page.getByTestId('timeline')).toContainText('waits for the policy');
  const alias = async () => (await (await request.get(`/api/2.0/mlflow/registered-models/alias?name=${full}&alias=Champion`, { headers: { authorization: admin } })).json()).model_version.version;
  expect(await alias()).toBe('1');

  // CI reports the check: the request settles and the alias moves.
  await call('put', `/api/quiver/v1/models/${full}/versions/2/checks/eval`, { status: 'completed', conclusion: 'success' });
  expect(await alias()).toBe('2');
  await page.reload();
  await expect(page.getByTestId('request-state')).toHaveText('approved');
});
