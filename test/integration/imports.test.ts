import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Y from 'yjs';
import {
  CATALOG_TEMPLATES,
  type BaselineProductFit,
  type BaselineStatus,
  type ImportErrorBody,
  type ImportResponse,
} from '@accord/protocol';
import { addMonths, cellKey, daysInMonth } from '@accord/plan-calc';
import { findCell, getMeta, setCell } from '@accord/plan-model';
import { REPO_ROOT, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

// exceljs is a server dependency; the test workspace borrows it to build XLSX fixtures in memory.
interface MinimalWorkbook {
  addWorksheet(name: string): { addRow(values: unknown[]): unknown };
  xlsx: { writeBuffer(): Promise<ArrayBuffer> };
}
const ExcelJS = createRequire(path.join(REPO_ROOT, 'server/package.json'))('exceljs') as { Workbook: new () => MinimalWorkbook };

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
type Session = Awaited<ReturnType<typeof signIn>>;
type Answer = { status: number; body: ImportResponse & ImportErrorBody };

describe('importing actuals and master data', () => {
  let server: ServerProcess;
  let planId: string;
  let watcher: PlanClient;
  let horizonStart: string;
  /** Last history month and the one before, as YYYY-MM. */
  let m1: string;
  let m2: string;
  const s: Record<string, Session> = {};
  const clients: PlanClient[] = [];

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations', 'finance', 'leader', 'admin']) s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
    watcher = await open('viewer');
    horizonStart = getMeta(watcher.doc).horizonStart;
    m1 = addMonths(horizonStart, -1);
    m2 = addMonths(horizonStart, -2);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  async function open(role: string): Promise<PlanClient> {
    const client = connectPlan(server.url, planId, s[role]!.cookie);
    clients.push(client);
    await synced(client);
    return client;
  }

  async function upload(role: string | null, query: string, body: BodyInit, contentType: string | null = 'text/csv'): Promise<Answer> {
    const headers: Record<string, string> = { origin: server.url };
    if (role) headers.cookie = s[role]!.cookie;
    if (contentType) headers['content-type'] = contentType;
    const response = await fetch(`${server.url}/api/plans/${planId}/imports?${query}`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  }
  const actual = (root: 'actuals' | 'actualProduction' | 'actualInventory' | 'statistical', product: string, month: string) =>
    findCell(watcher.doc, root, cellKey(product, month));
  const [dd, mm, yyyy] = [() => '15', (m: string) => m.slice(5, 7), (m: string) => m.slice(0, 4)];

  it('previews a CSV with auto-detected columns and mixed date formats, and writes nothing', async () => {
    const before = actual('actuals', 'SPA-001', m1);
    const csv = [
      'SKU,Period,Units Sold,Closing Stock,Comment',
      `SPA-001,${m1}-${daysInMonth(m1)},"1,234",500,first`,
      `SPA-002,${dd()}/${mm(m2)}/${yyyy(m2)},987.5,,second`,
      `SPA-003,${m2},0,40,`,
    ].join('\n');
    const answer = await upload('operations', 'kind=actuals&mode=preview', csv);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      kind: 'actuals',
      mode: 'preview',
      format: 'csv',
      mapping: { product: 'SKU', month: 'Period', sales: 'Units Sold', inventory: 'Closing Stock' },
      rows: 3,
      acceptedRows: 3,
      rejectedRows: 0,
      errors: [],
      committed: false,
      baselineStarted: false,
    });
    expect(answer.body.preview[0]).toMatchObject({ row: 2, product: 'SPA-001', month: m1, sales: 1234, inventory: 500 });
    expect(answer.body.preview[1]).toMatchObject({ row: 3, product: 'SPA-002', month: m2, sales: 987.5, inventory: null });
    expect(answer.body.changedCells).toBeGreaterThanOrEqual(4);
    expect(actual('actuals', 'SPA-001', m1)).toBe(before);
  });

  it('commits a CSV, and importing the same file again changes nothing', async () => {
    const csv = ['product id,month,sales,production,inventory', `SPA-001,${m1},11111,11000,2222`, `SPA-002,${m1},3333,3300,444`].join(
      '\r\n',
    );
    const first = await upload('operations', 'kind=actuals&mode=commit', csv);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ committed: true, changedCells: 6, rows: 2 });
    await vi.waitFor(() => {
      expect(actual('actuals', 'SPA-001', m1)).toBe(11111);
      expect(actual('actualProduction', 'SPA-002', m1)).toBe(3300);
      expect(actual('actualInventory', 'SPA-002', m1)).toBe(444);
    });
    const second = await upload('leader', 'kind=actuals&mode=commit', csv);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ committed: true, changedCells: 0, baselineStarted: false });
  });

  it('reads an XLSX workbook with date cells, and a multipart upload', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Actuals');
    sheet.addRow(['Item code', 'Date', 'Qty', 'Production']);
    sheet.addRow(['JUI-001', new Date(`${m1}-28T00:00:00Z`), 4321, 4300]);
    sheet.addRow(['JUI-002', `${m2}-10`, '1,500', 1490]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const answer = await upload('admin', 'kind=actuals&mode=commit', bytes, XLSX_TYPE);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      format: 'xlsx',
      committed: true,
      mapping: { product: 'Item code', month: 'Date', sales: 'Qty', production: 'Production' },
    });
    await vi.waitFor(() => {
      expect(actual('actuals', 'JUI-001', m1)).toBe(4321);
      expect(actual('actuals', 'JUI-002', m2)).toBe(1500);
    });

    const form = new FormData();
    form.append('file', new Blob([bytes], { type: XLSX_TYPE }), 'actuals.xlsx');
    const again = await upload('operations', 'kind=actuals&mode=preview', form, null);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ format: 'xlsx', rows: 2, changedCells: 0 });
  });

  it('takes an explicit column mapping over auto-detection', async () => {
    const csv = ['A,B,C', `ENE-001,${m1},777`].join('\n');
    const refused = await upload('operations', 'kind=actuals&mode=preview', csv);
    expect(refused.status).toBe(400);
    const mapping = encodeURIComponent(JSON.stringify({ product: 'A', month: 'B', sales: 'C' }));
    const answer = await upload('operations', `kind=actuals&mode=preview&mapping=${mapping}`, csv);
    expect(answer.status).toBe(200);
    expect(answer.body.preview[0]).toMatchObject({ product: 'ENE-001', month: m1, sales: 777 });
    const unknownColumn = await upload('operations', `kind=actuals&mapping=${encodeURIComponent('{"sales":"Nope"}')}`, csv);
    expect(unknownColumn.status).toBe(400);
    expect(unknownColumn.body.import.errors.some((e) => /no column "Nope"/.test(e.reason))).toBe(true);
  });

  describe('refuses malformed files with every row, column and reason, and writes nothing', () => {
    // Every file starts with a valid row that would change this cell: all or nothing means it must not.
    const sentinel = () => `ENE-002,${m1},999999`;
    const cases: { name: string; csv: () => string; expect: { row: number; column: string | null; reason: RegExp }[] }[] = [
      {
        name: 'wrong columns',
        csv: () => 'Foo,Bar,Baz\n1,2,3',
        expect: [
          { row: 1, column: 'product', reason: /no column for product/ },
          { row: 1, column: 'month', reason: /no column for month/ },
        ],
      },
      {
        name: 'text in a quantity',
        csv: () => `sku,month,sales\n${sentinel()}\nENE-003,${m1},lots`,
        expect: [{ row: 3, column: 'sales', reason: /"lots" is not a number/ }],
      },
      {
        name: 'a decimal comma',
        csv: () => `sku;month;sales\n${sentinel().replaceAll(',', ';')}\nENE-003;${m1};1.200,50`,
        expect: [{ row: 3, column: 'sales', reason: /not a number/ }],
      },
      {
        name: 'duplicate product and month',
        csv: () => `sku,month,sales\n${sentinel()}\nENE-003,${m1},5\nENE-003,${m1}-20,6`,
        expect: [{ row: 4, column: 'month', reason: /duplicate: ENE-003 .* row 3/ }],
      },
      {
        name: 'an unknown SKU',
        csv: () => `sku,month,sales\n${sentinel()}\nNOPE-9,${m1},5`,
        expect: [{ row: 3, column: 'sku', reason: /unknown SKU "NOPE-9"/ }],
      },
      {
        name: 'bad dates',
        csv: () => `sku,month,sales\n${sentinel()}\nENE-003,31/02/2026,5\nENE-004,2026-13,5\nENE-005,10/31/2026,5`,
        expect: [
          { row: 3, column: 'month', reason: /day first/ },
          { row: 4, column: 'month', reason: /not a month/ },
          { row: 5, column: 'month', reason: /day first/ },
        ],
      },
      {
        name: 'negative quantities',
        csv: () => `sku,month,sales,production\n${sentinel()},1\nENE-003,${m1},5,-3`,
        expect: [{ row: 3, column: 'production', reason: /cannot be negative/ }],
      },
      {
        name: 'a month in the planning horizon',
        csv: () => `sku,month,sales\n${sentinel()}\nENE-003,${horizonStart},5`,
        expect: [{ row: 3, column: 'month', reason: /planning horizon/ }],
      },
      {
        name: 'a header without rows',
        csv: () => 'sku,month,sales\n',
        expect: [{ row: 2, column: null, reason: /no data rows/ }],
      },
    ];
    for (const testCase of cases) {
      it(`refuses ${testCase.name}`, async () => {
        const before = actual('actuals', 'ENE-002', m1);
        expect(before).not.toBe(999999);
        const answer = await upload('operations', 'kind=actuals&mode=commit', testCase.csv());
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe('bad_request');
        expect(answer.body.import.committed).toBe(false);
        expect(answer.body.import.errors).toHaveLength(testCase.expect.length);
        testCase.expect.forEach((e, i) => {
          const got = answer.body.import.errors[i]!;
          expect(got.row).toBe(e.row);
          expect(got.column).toBe(e.column);
          expect(got.reason).toMatch(e.reason);
        });
        // A later change proves the watcher is current, so the sentinel really was not written.
        const probe = await open('operations');
        setCell(probe.doc, 'production', cellKey('ENE-002', addMonths(horizonStart, 5)), 4242 + cases.indexOf(testCase));
        await vi.waitFor(() =>
          expect(findCell(watcher.doc, 'production', cellKey('ENE-002', addMonths(horizonStart, 5)))).toBe(4242 + cases.indexOf(testCase)),
        );
        expect(actual('actuals', 'ENE-002', m1)).toBe(before);
      });
    }

    it('refuses an empty file and a file that is not CSV or XLSX', async () => {
      const empty = await upload('operations', 'kind=actuals&mode=commit', '');
      expect(empty.status).toBe(400);
      expect(empty.body.error.message).toMatch(/empty/);
      const image = await upload('operations', 'kind=actuals', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png');
      expect(image.status).toBe(415);
      const brokenXlsx = await upload('operations', 'kind=actuals', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), XLSX_TYPE);
      expect(brokenXlsx.status).toBe(400);
      expect(brokenXlsx.body.error.message).toMatch(/XLSX file cannot be read/);
    });

    it('refuses a body over 20 MiB with 413', async () => {
      const big = new Uint8Array(21 * 1024 * 1024).fill(0x41);
      const answer = await upload('operations', 'kind=actuals&mode=preview', big);
      expect(answer.status).toBe(413);
      expect(answer.body.error.message).toMatch(/larger than 20 MiB/);
    });

    it('refuses bad query parameters', async () => {
      expect((await upload('operations', 'kind=orders', 'a')).status).toBe(400);
      expect((await upload('operations', 'kind=actuals&mode=maybe', 'a')).status).toBe(400);
      expect((await upload('operations', 'kind=actuals&mapping=notjson', 'a')).status).toBe(400);
    });
  });

  it('lets only the right roles import', async () => {
    const csv = `sku,month,sales\nSPA-001,${m1},1`;
    expect((await upload(null, 'kind=actuals', csv)).status).toBe(401);
    for (const role of ['viewer', 'sales', 'finance']) {
      const answer = await upload(role, 'kind=actuals&mode=commit', csv);
      expect(answer.status, role).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    const prices = `sku,price\nSPA-001,7.25`;
    for (const role of ['operations', 'sales', 'leader']) expect((await upload(role, 'kind=prices', prices)).status, role).toBe(403);
    expect((await upload('finance', 'kind=prices', prices)).status).toBe(200);
    expect((await upload('finance', 'kind=products', 'id,name\nX,Y')).status).toBe(403);
  });

  it('imports resources, products (creating their family) and prices into the entity maps and value roots', async () => {
    const resources = await upload('operations', 'kind=resources&mode=commit', 'Resource ID,Resource name\nline-z,Line Z (test)');
    expect(resources.body).toMatchObject({ committed: true, createdEntities: 1 });
    const products = await upload(
      'admin',
      'kind=products&mode=commit',
      [
        'SKU,Description,Family,Family name,UoM,Line,Hours per unit,Lead time,Safety stock days',
        'NEW-001,New Tonic 0.2 L,tonics,Tonics,cases,line-z,0.002,12,20',
        'SPA-001,Alpine Sparkling 0.5 L (renamed),,,,,,,',
      ].join('\n'),
    );
    expect(products.status).toBe(200);
    expect(products.body).toMatchObject({ committed: true, createdEntities: 2 });
    await vi.waitFor(() => {
      const created = watcher.doc.getMap<Y.Map<unknown>>('products').get('NEW-001');
      expect(created?.toJSON()).toMatchObject({
        name: 'New Tonic 0.2 L',
        familyId: 'tonics',
        resourceId: 'line-z',
        hoursPerUnit: 0.002,
        leadTimeDays: 12,
        safetyStockDays: 20,
        unit: 'cases',
      });
      expect(watcher.doc.getMap<Y.Map<unknown>>('families').get('tonics')?.get('name')).toBe('Tonics');
      expect(watcher.doc.getMap<Y.Map<unknown>>('products').get('SPA-001')?.get('name')).toBe('Alpine Sparkling 0.5 L (renamed)');
    });
    const badProduct = await upload(
      'operations',
      'kind=products&mode=commit',
      'sku,name,family,resource\nNEW-002,Thing,tonics,no-such-line',
    );
    expect(badProduct.status).toBe(400);
    expect(badProduct.body.import.errors[0]).toMatchObject({ row: 2, column: 'resource' });

    const month = addMonths(horizonStart, 2);
    const prices = await upload('finance', 'kind=prices&mode=commit', `sku,month,unit price\nNEW-001,,3.5\nNEW-001,${month},3.25`);
    expect(prices.body).toMatchObject({ committed: true, changedCells: 2 });
    await vi.waitFor(() => {
      expect(findCell(watcher.doc, 'prices', 'NEW-001')).toBe(3.5);
      expect(findCell(watcher.doc, 'prices', cellKey('NEW-001', month))).toBe(3.25);
    });
    const costs = await upload('finance', 'kind=costs&mode=commit', `sku,standard cost\nNEW-001,1.75`);
    expect(costs.body.changedCells).toBe(1);
  });

  it('imports the catalog templates a new plan offers as they are', async () => {
    const resources = await upload('operations', 'kind=resources&mode=commit', CATALOG_TEMPLATES.resources.text);
    expect(resources.status).toBe(200);
    expect(resources.body).toMatchObject({ committed: true, createdEntities: 2 });
    const products = await upload('operations', 'kind=products&mode=commit', CATALOG_TEMPLATES.products.text);
    expect(products.status).toBe(200);
    // Two products and their two families.
    expect(products.body).toMatchObject({ committed: true, createdEntities: 4 });
    await vi.waitFor(() =>
      expect(watcher.doc.getMap<Y.Map<unknown>>('products').get('SOD-001')?.toJSON()).toMatchObject({
        name: 'Lemon soda 0.33 L',
        familyId: 'SODA',
        resourceId: 'LINE-B',
      }),
    );
  });

  it('runs the baseline job after committed actuals while sync keeps working, and explains each fit', async () => {
    const key = cellKey('SPA-001', horizonStart);
    const statisticalBefore = findCell(watcher.doc, 'statistical', key);
    // A sharp jump in the last months moves every reasonable forecast of SPA-001.
    const rows = [0, 1, 2, 3, 4, 5].map((back) => `SPA-001,${addMonths(horizonStart, -1 - back)},${90000 + back}`);
    const answer = await upload('operations', 'kind=actuals&mode=commit', ['sku,month,sales', ...rows].join('\n'));
    expect(answer.status).toBe(200);
    expect(answer.body.baselineStarted).toBe(true);

    // Edit and see the edit round-trip while the job runs (it yields between chunks of products).
    const sales = await open('sales');
    const editKey = cellKey('SPA-003', addMonths(horizonStart, 3));
    setCell(sales.doc, 'sales', editKey, 31337);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', editKey)).toBe(31337));

    const get = async () =>
      (await (
        await fetch(`${server.url}/api/plans/${planId}/baseline`, { headers: { cookie: s.viewer!.cookie } })
      ).json()) as BaselineStatus;
    await vi.waitFor(async () => expect((await get()).state).toBe('done'), { timeout: 20_000, interval: 100 });
    const status = await get();
    expect(status.progress).toBe(1);
    expect(status.products).toBeGreaterThanOrEqual(28);
    expect(Object.values(status.methods).reduce((a, b) => a + b, 0)).toBe(status.products);
    expect(status.changedCells).toBeGreaterThan(0);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'statistical', key)).not.toBe(statisticalBefore));
    expect(findCell(watcher.doc, 'statistical', key)).toBeGreaterThan(50000);

    const fitResponse = await fetch(`${server.url}/api/plans/${planId}/baseline/products/SPA-001`, {
      headers: { cookie: s.viewer!.cookie },
    });
    expect(fitResponse.status).toBe(200);
    const fit = (await fitResponse.json()) as BaselineProductFit;
    expect(fit).toMatchObject({ productId: 'SPA-001', historyBuckets: 24 });
    expect(fit.forecast[0]).toEqual({ bucket: horizonStart, value: findCell(watcher.doc, 'statistical', key) });
    expect(typeof fit.method).toBe('string');
    expect(fit.inSampleError.mae).toBeGreaterThan(0);
    expect(
      (await fetch(`${server.url}/api/plans/${planId}/baseline/products/NOPE`, { headers: { cookie: s.viewer!.cookie } })).status,
    ).toBe(404);

    const post = (role: string) =>
      fetch(`${server.url}/api/plans/${planId}/baseline`, { method: 'POST', headers: { cookie: s[role]!.cookie, origin: server.url } });
    expect((await post('sales')).status).toBe(403);
    const rerun = await post('leader');
    expect(rerun.status).toBe(202);
    await vi.waitFor(async () => expect((await get()).state).toBe('done'), { timeout: 20_000, interval: 100 });
    // Same actuals, same forecasts: nothing to write the second time.
    expect((await get()).changedCells).toBe(0);
  });
});
