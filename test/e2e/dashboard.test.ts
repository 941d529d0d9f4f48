import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { ensureChromium } from '../helpers/chromium.js';
import { eventually, rest, startRestTestCluster, type RestTestCluster } from '../integration/rest-test-cluster.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
let cluster: RestTestCluster;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const executablePath = await ensureChromium();
  cluster = await startRestTestCluster({ taskManagers: 2, slots: 2 });
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 660_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

describe('web dashboard in a headless browser', () => {
  it('lists the running job, draws its graph, and cancels it from the job page', async () => {
    const jobId = await cluster.submit((env: any) => {
      env.setParallelism(2);
      env
        .fromSource(new DataGeneratorSource((i: number) => `word-${i % 5}`, Infinity, { ratePerSecond: 100 }), WatermarkStrategy.noWatermarks(), 'words')
        .map((w: string) => w.toUpperCase())
        .name('Upper')
        .keyBy((w: string) => w)
        .reduce((a: string, b: string) => (a.length > b.length ? a : b))
        .name('Longest')
        .addSink(() => {})
        .name('Discard');
    }, 'Streaming WordCount');
    await eventually('job RUNNING', async () => (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state === 'RUNNING');
    const job = (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body;

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(cluster.baseUrl + '/');
    const row = page.locator(`#jobs-table tr[data-jid="${jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.locator('.badge').textContent()).toBe('RUNNING');
    expect(await page.locator('#cluster-cards').textContent()).toMatch(/Task Managers\s*2/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

    await row.click();
    await expect.poll(() => page.locator('#job-id').textContent(), { timeout: 10_000 }).toBe(jobId);
    expect(page.url()).toContain(`#/jobs/${jobId}`);
    const nodes = page.locator('#job-graph g.node');
    await expect.poll(() => nodes.count()).toBe(job.vertices.length);
    expect(await page.locator('#job-graph path.edge').count()).toBeGreaterThan(0);
    for (const v of job.vertices) {
      const node = page.locator(`#job-graph g.node[data-vertex="${v.id}"]`);
      expect(await node.textContent()).toContain('Parallelism 2');
    }
    expect(await page.locator('#job-graph').textContent()).toContain('HASH');
    expect(await page.locator('#vertices-table tbody tr').count()).toBe(job.vertices.length);
    expect(await page.locator('#job-state').textContent()).toBe('RUNNING');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job.png'), fullPage: true });

    await page.click('#btn-savepoint');
    await expect.poll(() => page.locator('#job-notice').textContent()).toMatch(/checkpointing is not enabled/);

    page.once('dialog', (d) => void d.accept());
    await page.click('#btn-cancel');
    await expect.poll(() => page.locator('#job-state').textContent(), { timeout: 10_000 }).toBe('CANCELED');
    expect((await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state).toBe('CANCELED');
    expect(await page.locator('#btn-cancel').isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job-canceled.png'), fullPage: true });

    await page.goto(cluster.baseUrl + '/#/taskmanagers');
    await expect.poll(() => page.locator('#tm-table tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-taskmanagers.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
