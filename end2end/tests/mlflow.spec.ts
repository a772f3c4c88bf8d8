import { APIRequestContext, expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn, unique } from './helpers';

const basic = 'Basic ' + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');

/** A page's URL by its path, with no fragment: an MLflow link (`/#/experiments/1/runs/<id>`)
 *  ends in the same text before it has been followed. */
function atPath(path: string) {
  return (url: URL) => url.pathname === path && url.hash === '';
}

async function mlflowPost(request: APIRequestContext, path: string, data: object) {
  const r = await request.post(`/api/2.0/mlflow/${path}`, { headers: { Authorization: basic }, data });
  expect(r.status(), await r.text()).toBe(200);
  return r.json();
}

test('what the MLflow API registers shows in the UI: alias, activity, artifact files, signature, run and experiment pages', async ({ page, request }) => {
  const catalog = unique('api');
  const name = `${catalog}.ml_team.churn`;
  const headers = { Authorization: basic };
  const post = (path: string, data: object) => mlflowPost(request, path, data);
  await post('registered-models/create', { name, description: 'Churn **scores**' });
  const experiment = unique('exp');
  const { experiment_id } = await post('experiments/create', { name: experiment });
  const start_time = Date.now() - 60_000;
  const { run } = await post('runs/create', { experiment_id, run_name: 'nightly-train', start_time });
  const run_id = run.info.run_id;
  await post('runs/log-batch', {
    run_id,
    params: [{ key: 'C', value: '0.5' }],
    metrics: [
      { key: 'auc', value: 0.7, timestamp: start_time, step: 0 },
      { key: 'auc', value: 0.9123456, timestamp: start_time + 1000, step: 3 },
    ],
  });
  await post('runs/update', { run_id, status: 'FINISHED', end_time: start_time + 42_000 });
  const { model } = await post('logged-models', { experiment_id, name: 'model', source_run_id: run_id });
  const root = model.info.artifact_uri.replace('mlflow-artifacts:/', '');
  // The signature as MLflow logs it with the model: YAML, long strings folded over lines.
  const content = [
    'flavors:',
    '  python_function: {}',
    'signature:',
    `  inputs: '[{"type": "double", "name": "tenure", "required": true}, {"type": "string",`,
    `    "name": "plan", "required": false}]'`,
    `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'`,
    '',
  ].join('\n');
  const put = await request.put(`/api/2.0/mlflow-artifacts/artifacts/${root}/MLmodel`, { headers, data: content });
  expect(put.status()).toBe(200);
  await post('model-versions/create', { name, source: `models:/${model.info.model_id}`, model_id: model.info.model_id, run_id });
  await post('registered-models/alias', { name, alias: 'Champion', version: '1' });

  await signIn(page);
  await page.goto(`/explore/${catalog}/ml_team/churn@Champion`);
  await hydrated(page);
  await expect(page.getByTestId('version-title')).toHaveText('churn · Version 1');
  await expect(page.getByTestId('version-aliases')).toContainText('@Champion');
  const files = page.getByTestId('artifacts');
  const inputs = page.getByTestId('signature-inputs');
  await expect(inputs.getByRole('row').nth(1)).toHaveText(/tenure\s*double\s*yes/);
  await expect(inputs.getByRole('row').nth(2)).toHaveText(/plan\s*string\s*no/);
  await expect(page.getByTestId('signature-outputs')).toContainText('tensor float64 [-1]');
  const training = page.getByTestId('training-run');
  await expect(training.getByTestId('run-name')).toHaveText('nightly-train');
  await expect(training.getByTestId('run-experiment')).toContainText(experiment);
  await expect(training).toContainText('FINISHED');
  await expect(training).toContainText('42 s');
  await expect(page.getByTestId('run-params').getByRole('row').nth(1)).toHaveText(/C\s*0\.5/);
  await expect(page.getByTestId('run-metrics').getByRole('row').nth(1)).toHaveText(/auc\s*0\.912346\s*3/);
  await expect(files.getByRole('row').nth(1)).toContainText('MLmodel');
  await expect(files.getByRole('row').nth(1)).toContainText(`${content.length} bytes`);
  const href = await files.getByRole('link', { name: 'Download' }).getAttribute('href');
  const download = await page.request.get(href!);
  expect(await download.text()).toBe(content);

  // The run's own page, and the link MLflow's client prints ("View run at …/#/experiments/…").
  await training.getByTestId('run-name').click();
  await expect(page).toHaveURL(atPath(`/runs/${run_id}`));
  await expect(page.getByTestId('run-title')).toHaveText('nightly-train');
  // auc was logged twice: its history is drawn, and described for screen readers.
  await expect(page.getByTestId('metric-chart-auc').getByRole('img')).toHaveAttribute(
    'aria-label',
    'auc: 2 points from step 0 to 3, first 0.7, last 0.912346, lowest 0.7, highest 0.912346',
  );
  const registered = page.getByTestId('run-versions').getByRole('row').nth(1);
  await expect(registered).toContainText(name);
  await expect(registered).toContainText('@Champion');
  await hydrated(page);
  await page.getByTestId('run-experiment').getByRole('link').click();
  await expect(page).toHaveURL(atPath(`/experiments/${experiment_id}`));
  await expect(page.getByTestId('experiment-title')).toHaveText(experiment);
  await expect(page.getByTestId('experiment-runs').getByRole('row').nth(1)).toHaveText(/nightly-train\s*FINISHED.*42 s\s*admin/);
  await page.goto('/experiments');
  await hydrated(page);
  await page.getByTestId('experiments').getByRole('link', { name: experiment }).click();
  await expect(page).toHaveURL(atPath(`/experiments/${experiment_id}`));
  await page.goto('/explore');
  await page.goto(`/#/experiments/${experiment_id}/runs/${run_id}`);
  await expect(page).toHaveURL(atPath(`/runs/${run_id}`));
  await expect(page.getByTestId('run-title')).toHaveText('nightly-train');
  await page.goto('/explore');
  await page.goto(`/#/experiments/${experiment_id}`);
  await expect(page).toHaveURL(atPath(`/experiments/${experiment_id}`));

  await page.goto(`/explore/${catalog}/ml_team/churn?tab=activity`);
  await hydrated(page);
  const first = page.getByTestId('activity').locator('li').first();
  await expect(first).toContainText('set alias Champion to v1');
  await expect(first).toContainText('rest');
  await expect(page.getByTestId('description').locator('.markdown strong')).toHaveText('scores');
});

test('an MLflow run link followed while signed out leads to the run after signing in', async ({ page, request }) => {
  const { experiment_id } = await mlflowPost(request, 'experiments/create', { name: unique('exp') });
  const { run } = await mlflowPost(request, 'runs/create', { experiment_id, run_name: 'weekly-train' });
  await page.goto(`/#/experiments/${experiment_id}/runs/${run.info.run_id}`);
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(atPath(`/runs/${run.info.run_id}`));
  await expect(page.getByTestId('run-title')).toHaveText('weekly-train');
});

test("an experiment's runs are filtered and ordered by their metrics and params, as MLflow's search_runs does", async ({ page, request }) => {
  const { experiment_id } = await mlflowPost(request, 'experiments/create', { name: unique('sweep') });
  const start = Date.now() - 600_000;
  for (const [i, [depth, acc]] of ([['3', 0.81], ['5', 0.93], ['3', 0.88], ['8', null]] as const).entries()) {
    const { run } = await mlflowPost(request, 'runs/create', { experiment_id, run_name: `trial-${i}`, start_time: start + i * 1000 });
    const metrics = acc === null ? [] : [{ key: 'val acc', value: acc, timestamp: start, step: 0 }];
    await mlflowPost(request, 'runs/log-batch', { run_id: run.info.run_id, params: [{ key: 'depth', value: depth }], metrics });
  }
  const names = (page: import('@playwright/test').Page) =>
    page.getByTestId('experiment-runs').locator('tbody tr td:first-child');

  await signIn(page);
  await page.goto(`/experiments/${experiment_id}`);
  await hydrated(page);
  await expect(names(page)).toHaveText(['trial-3', 'trial-2', 'trial-1', 'trial-0']);
  const acc = page.getByTestId('experiment-runs').getByRole('columnheader', { name: /val acc/ });
  await expect(page.getByTestId('experiment-runs').getByRole('row').nth(2)).toHaveText(/trial-2.*0\.88\s*3/);

  // A metric's header orders by it, best first; the run without it comes last either way.
  await acc.getByRole('link').click();
  await expect(page).toHaveURL(/order=metrics\.%60val%20acc%60%20DESC/);
  await expect(names(page)).toHaveText(['trial-1', 'trial-2', 'trial-0', 'trial-3']);
  await expect(acc).toHaveAttribute('aria-sort', 'descending');
  await acc.getByRole('link').click();
  await expect(names(page)).toHaveText(['trial-0', 'trial-2', 'trial-1', 'trial-3']);
  await expect(acc).toHaveAttribute('aria-sort', 'ascending');

  // The filter box takes MLflow's syntax, from the keyboard, and keeps the order.
  const box = page.getByLabel('Filter runs');
  await box.fill("params.depth = '3' OR metrics.`val acc` > 0.9");
  await box.press('Enter');
  await expect(page).toHaveURL(/filter=params\.depth/);
  await expect(names(page)).toHaveText(['trial-0', 'trial-2', 'trial-1']);
  await expect(acc).toHaveAttribute('aria-sort', 'ascending');

  // A filter that does not parse says where, next to the box.
  await box.fill('metrics.`val acc` > high');
  await box.press('Enter');
  await expect(page.getByTestId('run-filter-error')).toContainText('Invalid filter at position 21');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await box.fill("params.depth = '99'");
  await box.press('Enter');
  await expect(page.getByText('No run matches this filter')).toBeVisible();
  await page.getByRole('link', { name: 'Clear' }).click();
  await expect(names(page)).toHaveText(['trial-0', 'trial-2', 'trial-1', 'trial-3']);

  // Deleted through the API, the experiment says so instead of "No runs yet".
  await mlflowPost(request, 'experiments/delete', { experiment_id });
  await page.reload();
  await expect(page.getByTestId('experiment-deleted')).toHaveText('Deleted');
  await expect(page.getByText('This experiment is deleted')).toBeVisible();
});

test("an experiment's description and tags, and a run's datasets and logged models, show as MLflow logged them", async ({ page, request }) => {
  const { experiment_id } = await mlflowPost(request, 'experiments/create', {
    name: unique('described'),
    tags: [{ key: 'team', value: 'growth' }],
  });
  await mlflowPost(request, 'experiments/set-experiment-tag', {
    experiment_id,
    key: 'mlflow.note.content',
    value: 'Weekly **churn** model <script>window.pwned = 1</script>',
  });
  const { run } = await mlflowPost(request, 'runs/create', { experiment_id, run_name: 'with-data' });
  const schema = JSON.stringify({ mlflow_colspec: [{ type: 'double', name: 'tenure', required: true }, { type: 'long', name: 'churned', required: true }] });
  await mlflowPost(request, 'runs/log-inputs', {
    run_id: run.info.run_id,
    datasets: [{
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: { name: 'customers', digest: 'a1b2c3d4', source_type: 'local', source: '{"uri": "/data/customers.parquet"}', schema, profile: '{"num_rows": 1200}' },
    }],
  });

  // MLflow 3: a model the run logged, and a metric measured on it.
  const { model } = await mlflowPost(request, 'logged-models', {
    experiment_id, name: 'gbm', source_run_id: run.info.run_id, params: [{ key: 'depth', value: '6' }],
  });
  await mlflowPost(request, 'runs/log-batch', {
    run_id: run.info.run_id,
    metrics: [{ key: 'auc', value: 0.912345, timestamp: Date.now(), step: 0, model_id: model.info.model_id, dataset_name: 'customers', dataset_digest: 'a1b2c3d4' }],
  });

  await signIn(page);
  await page.goto(`/experiments/${experiment_id}`);
  await hydrated(page);
  const description = page.getByTestId('experiment-description');
  await expect(description.locator('strong')).toHaveText('churn');
  await expect(description).not.toContainText('pwned');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  const tag = page.getByTestId('experiment-tags').getByTestId('tag');
  await expect(tag.locator('.chip-key')).toHaveText(['team']);
  await expect(tag.locator('.chip-value')).toHaveText(['growth']);

  // The runs table gets a column of datasets, with each one's role.
  const chip = page.getByTestId('experiment-runs').locator('td.datasets .chip');
  await expect(chip.locator('.chip-key')).toHaveText(['customers']);
  await expect(chip.locator('.chip-value')).toHaveText(['training']);
  await page.getByRole('link', { name: 'with-data' }).click();
  const datasets = page.getByTestId('run-datasets');
  await expect(datasets.getByRole('row').nth(1)).toHaveText(/customers\s*a1b2c3d4\s*training\s*1200\s*\/data\/customers\.parquet\s*2 columns/);
  // The columns open from the keyboard.
  await datasets.getByText('2 columns').focus();
  await page.keyboard.press('Enter');
  await expect(datasets.getByRole('listitem')).toHaveText(['tenure double', 'churned long']);

  const models = page.getByTestId('run-logged-models');
  await expect(models.getByRole('row').nth(1)).toHaveText(new RegExp(`gbm\\s*${model.info.model_id}\\s*Pending\\s*auc 0\\.912345 \\(customers\\)\\s*1`));
  await expect(models.getByRole('button', { name: `Copy mlflow.register_model("models:/${model.info.model_id}", "prod.ml_team.my_model")` })).toBeVisible();
});
