import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../services.ts';
import type { ExportFile } from '../export/export.service.ts';
import { parseBody, requireAuth, type AppEnv } from './context.ts';

const NewPlanRequest = z.object({ name: z.string().trim().min(1, 'Name the new plan').max(200) });

function send(file: ExportFile): Response {
  return new Response(typeof file.bytes === 'string' ? file.bytes : Buffer.from(file.bytes), {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${file.filename}"`,
      'Cache-Control': 'no-store',
    },
  });
}

/** Exports (XLSX, CSV, PDF summary) of the live plan or a snapshot, and plans from snapshots. */
export function exportRoutes(services: Services): Hono<AppEnv> {
  const { exports } = services;
  const routes = new Hono<AppEnv>();
  const version = (v: string | undefined) => v ?? 'live';

  routes.get('/plans/:planId/export.xlsx', async (c) =>
    send(await exports.xlsx(requireAuth(c).user.id, c.req.param('planId'), version(c.req.query('version')))),
  );
  routes.get('/plans/:planId/export.csv', async (c) =>
    send(
      await exports.csv(requireAuth(c).user.id, c.req.param('planId'), version(c.req.query('version')), c.req.query('view') ?? 'demand'),
    ),
  );
  routes.get('/plans/:planId/summary.pdf', async (c) =>
    send(await exports.summaryPdf(requireAuth(c).user.id, c.req.param('planId'), version(c.req.query('version')))),
  );
  routes.post('/snapshots/:snapshotId/plans', async (c) => {
    const { name } = await parseBody(c, NewPlanRequest);
    return c.json(await services.planSetup.fromSnapshot(requireAuth(c).user.id, c.req.param('snapshotId'), name), 201);
  });
  return routes;
}
