import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { BaselineRunRequest, ErrorCode, ImportQuery, KpiQuery, MAX_IMPORT_BYTES, type ImportErrorBody } from '@accord/protocol';
import type { BaselineService } from '../forecasting/baseline.service.ts';
import type { ImportService } from '../imports/import.service.ts';
import type { KpiService } from '../kpi/kpi.service.ts';
import { requireAuth, type AppEnv } from './context.ts';
import { HttpError } from '../errors.ts';

/** What the data routes use (kept narrow so they can be wired before the lead's Services grows). */
export interface DataServices {
  imports: ImportService;
  baseline: BaselineService;
  kpis: KpiService;
}

const Mapping = z.record(z.string().min(1).max(40), z.string().min(1).max(200));
// Room for the multipart envelope around a file of the maximum size.
const MULTIPART_SLACK_BYTES = 64 * 1024;

function parseQuery<T>(schema: z.ZodType<T>, query: Record<string, string>): T {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, ErrorCode.badRequest, `${issue.path.map(String).join('.') || 'query'}: ${issue.message}`);
  }
  return parsed.data;
}

function parseMapping(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HttpError(400, ErrorCode.badRequest, 'mapping must be JSON like {"product":"Item code","sales":"Units"}.');
  }
  const parsed = Mapping.safeParse(json);
  if (!parsed.success) throw new HttpError(400, ErrorCode.badRequest, 'mapping must be a JSON object of field → column header strings.');
  return parsed.data;
}

/** Imports of actuals and master data, the statistical baseline job and the KPIs of a plan. */
export function dataRoutes(services: DataServices): Hono<AppEnv> {
  const { imports, baseline, kpis } = services;
  const routes = new Hono<AppEnv>();

  routes.post(
    '/plans/:planId/imports',
    bodyLimit({
      maxSize: MAX_IMPORT_BYTES + MULTIPART_SLACK_BYTES,
      onError: () => {
        throw new HttpError(
          413,
          ErrorCode.payloadTooLarge,
          `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB; split it into several imports.`,
        );
      },
    }),
    async (c) => {
      const { user } = requireAuth(c);
      const planId = c.req.param('planId');
      const query = parseQuery(ImportQuery, c.req.query());
      const mapping = parseMapping(query.mapping);
      // Refuse before reading the body: a viewer's upload is not worth parsing.
      await imports.authorise(user.id, planId, query.kind);
      const contentType = c.req.header('content-type') ?? '';
      let file: { bytes: Uint8Array; contentType: string };
      if (contentType.toLowerCase().startsWith('multipart/form-data')) {
        let form: Awaited<ReturnType<typeof c.req.parseBody>>;
        try {
          form = await c.req.parseBody();
        } catch {
          // A truncated or malformed body (no closing boundary, broken headers) is the sender's mistake.
          throw new HttpError(
            400,
            ErrorCode.badRequest,
            'The upload is not a complete multipart form; send the file in a field named "file" (e.g. curl -F file=@actuals.csv).',
          );
        }
        const part = form['file'];
        if (!(part instanceof File)) throw new HttpError(400, ErrorCode.badRequest, 'Send the file in a multipart field named "file".');
        file = {
          bytes: new Uint8Array(await part.arrayBuffer()),
          contentType:
            part.type || (part.name.endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv'),
        };
      } else {
        file = { bytes: new Uint8Array(await c.req.arrayBuffer()), contentType };
      }
      if (file.bytes.byteLength > MAX_IMPORT_BYTES) {
        throw new HttpError(
          413,
          ErrorCode.payloadTooLarge,
          `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB; split it into several imports.`,
        );
      }
      const outcome = await imports.run(user.id, planId, { kind: query.kind, mode: query.mode, mapping, sheet: query.sheet }, file);
      if (!outcome.ok) {
        const body: ImportErrorBody = {
          error: { code: ErrorCode.badRequest, message: outcome.message, requestId: c.get('requestId') },
          import: outcome.report,
        };
        return c.json(body, 400);
      }
      return c.json(outcome.report);
    },
  );

  routes.get('/plans/:planId/baseline', async (c) => c.json(await baseline.status(requireAuth(c).user.id, c.req.param('planId'))));
  routes.post('/plans/:planId/baseline', async (c) => {
    const { user } = requireAuth(c);
    // The body is optional: no body (or {}) runs with the season length `auto`.
    const text = await c.req.text();
    let json: unknown = {};
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new HttpError(400, ErrorCode.badRequest, 'Send JSON like {"seasonLength":"auto"} or no body.');
      }
    }
    const parsed = BaselineRunRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, ErrorCode.badRequest, `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
    }
    return c.json(await baseline.request(user.id, c.req.param('planId'), parsed.data), 202);
  });
  routes.get('/plans/:planId/baseline/products/:productId', async (c) =>
    c.json(await baseline.productFit(requireAuth(c).user.id, c.req.param('planId'), c.req.param('productId'))),
  );
  // Every change a baseline run or a restore made to the statistical layer: compare, and restore the latest.
  routes.get('/plans/:planId/baseline/changes', async (c) => c.json(await baseline.changes(requireAuth(c).user.id, c.req.param('planId'))));
  routes.get('/plans/:planId/baseline/changes/:changeId', async (c) =>
    c.json(await baseline.change(requireAuth(c).user.id, c.req.param('planId'), c.req.param('changeId'))),
  );
  routes.post('/plans/:planId/baseline/changes/:changeId/restore', async (c) =>
    c.json(await baseline.restore(requireAuth(c).user.id, c.req.param('planId'), c.req.param('changeId'))),
  );

  routes.get('/plans/:planId/kpis', async (c) => {
    const { user } = requireAuth(c);
    const query = parseQuery(KpiQuery, c.req.query());
    return c.json(await kpis.kpis(user.id, c.req.param('planId'), query));
  });

  return routes;
}
