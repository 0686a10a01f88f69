// `npx tsx test/bench/console/run.ts`: the Services view at 5,000 services / 50,000 endpoints in real Chromium — longest frame while loading, filtering, sorting, scrolling and under live churn, and the time to open a service's graph. Writes test/bench/results/console.json and the console section of docs/BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { report, type ConsoleBenchResult, type FrameStats, type Round } from './report.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHROMIUM = process.env.LUMEN_CHROMIUM ?? '/usr/bin/chromium';
const SERVICES = Number(process.env.BENCH_SERVICES ?? 5000);
const PER_SERVICE = Number(process.env.BENCH_ENDPOINTS_PER_SERVICE ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const say = (line: string) => process.stderr.write(`[bench:console] ${line}\n`);

const mime: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

async function build(outDir: string): Promise<void> {
  const [{ build: viteBuild }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  await viteBuild({
    configFile: false,
    root: path.join(repo, 'test/bench/console'),
    base: './',
    logLevel: 'warn',
    mode: 'production',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'chrome130', minify: true, sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 4000 },
  });
}

function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': mime[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  })));
}

function machine(): Omit<ConsoleBenchResult['machine'], 'loadavgEnd'> {
  const chromiumVersion = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))), chromium: chromiumVersion, node: process.version };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set LUMEN_CHROMIUM)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-bench-console-'));
  const profile = mkdtempSync(path.join(os.tmpdir(), 'lumen-bench-chromium-'));
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    say('building the benchmark page (real store + Services view)...');
    await build(dir);
    server = await serve(dir);
    const m = machine();
    say(`${m.chromium}; ${m.cpus} CPUs; load ${m.loadavg.join(' ')}`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-renderer-backgrounding', '--disable-background-timer-throttling'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // Calls window.__bench.<name>(...args) in the page (see page.tsx).
    const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
      page.evaluate(([n, a]) => (globalThis as unknown as { __bench: Record<string, (...x: unknown[]) => unknown> }).__bench[n as string]!(...(a as unknown[])), [name, args] as const) as Promise<T>;
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });

    const rounds: Round[] = [];
    let sizes = { services: 0, endpoints: 0 };
    for (let r = 1; r <= ROUNDS; r++) {
      say(`round ${r}/${ROUNDS} (load ${os.loadavg()[0]!.toFixed(2)})`);
      // A fresh page per round: a new store, nothing cached, the first graph cold again.
      await page.goto(server.url);
      await page.waitForFunction(() => '__bench' in globalThis);
      sizes = await call<{ services: number; endpoints: number }>('generate', SERVICES, PER_SERVICE);

      const load = await call<FrameStats & { readyMs: number; rows: number }>('load');
      say(`  initial render: ${load.rows} rows in ${load.readyMs.toFixed(0)} ms, longest frame ${load.maxFrameMs.toFixed(1)} ms`);

      const search = page.getByRole('searchbox', { name: 'Search services' });
      await search.click();
      await call('startFrames');
      await page.keyboard.type('team-7 svc-12', { delay: 90 });
      await page.waitForTimeout(400);
      const filter = await call<FrameStats>('stopFrames');
      const matches = (await call<{ visible: number }>('state')).visible;
      await call('startFrames');
      await search.fill('');
      await page.waitForTimeout(300);
      const clear = await call<FrameStats>('stopFrames');
      say(`  filter: ${matches} matches, longest frame ${filter.maxFrameMs.toFixed(1)} ms (clear ${clear.maxFrameMs.toFixed(1)} ms)`);

      await call('startFrames');
      const grid = page.getByRole('grid', { name: 'Services' });
      for (const column of ['Cluster IP', 'Backends', 'Type', 'Service', 'Service', 'Cluster IP']) {
        await grid.getByRole('button', { name: column, exact: true }).click();
        await page.waitForTimeout(350);
      }
      const sort = await call<FrameStats>('stopFrames');
      say(`  sort: longest frame ${sort.maxFrameMs.toFixed(1)} ms`);

      const body = grid.locator('.vtable-body');
      await body.hover();
      await call('startFrames');
      // A fast fling: 600 px (about 18 new rows) per wheel event, 60 events a second, for 2 s.
      for (let i = 0; i < 120; i++) {
        await page.mouse.wheel(0, 600);
        await page.waitForTimeout(16);
      }
      await page.waitForTimeout(300);
      const scroll = await call<FrameStats>('stopFrames');
      await body.evaluate((el) => el.scrollTo(0, 0));
      say(`  scroll: longest frame ${scroll.maxFrameMs.toFixed(1)} ms`);

      await page.waitForTimeout(300);
      const graphMs: number[] = [];
      for (const key of await call<string[]>('visibleKeys', 8)) {
        graphMs.push(await call<number>('openGraph', key));
        await page.waitForTimeout(250);
      }
      say(`  graph open: ${graphMs.map((g) => g.toFixed(0)).join(', ')} ms`);

      const churn = await call<FrameStats>('churn', 100, 50);
      say(`  live churn: longest frame ${churn.maxFrameMs.toFixed(1)} ms`);
      rounds.push({ initialRender: load, filterTyping: { ...filter, matches }, filterClear: clear, sort, scroll, liveChurn: churn, graphOpenMs: graphMs });
    }
    mkdirSync(path.join(repo, '.artifacts/bench'), { recursive: true });
    await page.screenshot({ path: path.join(repo, '.artifacts/bench/console-services.png') });

    if (problems.length) say(`page problems: ${problems.join(' | ')}`);
    const result: ConsoleBenchResult = {
      date: new Date().toISOString(),
      machine: { ...m, loadavgEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
      scale: { services: sizes.services, endpoints: sizes.endpoints, nodes: 20, viewport: '1440x900' },
      rounds,
      problems,
    };
    report(repo, result);
    say('wrote test/bench/results/console.json and docs/BENCHMARKS.md (console section)');
  } finally {
    await context?.close().catch(() => undefined);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:console] failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
