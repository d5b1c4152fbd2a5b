import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { PlanListResponse, SnapshotListResponse } from '@accord/protocol';
import { readPlanData } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced } from '../support/clients.ts';

describe('exports and plans from snapshots', () => {
  let server: ServerProcess;
  let planId: string;
  let leader: Awaited<ReturnType<typeof signIn>>;
  let sales: Awaited<ReturnType<typeof signIn>>;

  beforeAll(async () => {
    server = await startServer();
    leader = await signIn(server.url, demoEmail('leader'));
    sales = await signIn(server.url, demoEmail('sales'));
    planId = await firstPlanId(server.url, leader);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const get = (path: string, cookie = leader.cookie) => fetch(`${server.url}/api${path}`, { headers: { cookie } });

  it('exports the live plan to XLSX with one sheet per view, in the grid shape', async () => {
    const response = await get(`/plans/${planId}/export.xlsx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.xlsx"/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Demand', 'Supply', 'Capacity', 'Finance']);
    const demand = workbook.getWorksheet('Demand')!;
    expect(demand.getRow(1).getCell(4).value).toBe('Layer');
    // 28 demo SKUs × 5 demand rows, plus the header.
    expect(demand.rowCount).toBe(1 + 28 * 5);
    const client = connectPlan(server.url, planId, sales.cookie);
    await synced(client);
    const data = readPlanData(client.doc);
    client.destroy();
    const firstStatistical = demand.getRow(2);
    expect(firstStatistical.getCell(4).value).toBe('Statistical');
    expect(firstStatistical.getCell(5).value).toBe(
      data.cells.statistical[`${String(firstStatistical.getCell(2).value)}|${data.meta.horizonStart}`],
    );
  });

  it('exports one view as CSV and refuses an unknown view', async () => {
    const csv = await (await get(`/plans/${planId}/export.csv?view=capacity`)).text();
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^Resource,Row,\d{4}-\d{2}/);
    expect(lines.filter((l) => l.includes('Utilisation %'))).toHaveLength(3);
    const bad = await get(`/plans/${planId}/export.csv?view=everything`);
    expect(bad.status).toBe(400);
  });

  it('renders a one-page PDF executive summary with Chromium', { timeout: 60_000 }, async () => {
    const response = await get(`/plans/${planId}/summary.pdf`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g)).toHaveLength(1);
  });

  it('starts a new plan from a snapshot for leaders only, and hides other plans’ snapshots', async () => {
    const { snapshots } = (await (await get(`/plans/${planId}/snapshots`)).json()) as SnapshotListResponse;
    const snapshotId = snapshots[0]!.id;
    const post = (cookie: string, body: unknown) =>
      fetch(`${server.url}/api/snapshots/${snapshotId}/plans`, {
        method: 'POST',
        headers: { cookie, origin: server.url, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(sales.cookie, { name: 'Mine' })).status).toBe(403);
    expect((await post(leader.cookie, { name: '' })).status).toBe(400);
    const created = await post(leader.cookie, { name: 'What-if from last consensus' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const list = (await (await get(`/workspaces/${leader.me.memberships[0]!.workspaceId}/plans`)).json()) as PlanListResponse;
    expect(list.plans.map((p) => p.name)).toContain('What-if from last consensus');
    const client = connectPlan(server.url, id, leader.cookie);
    await synced(client);
    expect(readPlanData(client.doc).meta).toMatchObject({
      name: 'What-if from last consensus',
      cycleStage: 'data-gathering',
      horizonStart: snapshots[0]!.cycle,
    });
    client.destroy();
    expect((await get(`/plans/${id}/export.xlsx?version=${snapshotId}`)).status).toBe(400);
  });
});
