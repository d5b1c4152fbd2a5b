import { ErrorCode } from '@accord/protocol';
import { z } from 'zod';
import { BUCKET_SIZES, CYCLE_STAGES, isBucket, VALUE_ROOTS, type PlanData, type ValueRoot } from '@accord/plan-calc';
import { SCHEMA_VERSION } from '@accord/plan-model';
import { HttpError } from '../errors.ts';

const id = z.string().min(1).max(100);
const entity = { id, name: z.string().min(1).max(200), order: z.number().finite(), retired: z.boolean().optional() };
const cells = z.record(z.string().max(200), z.number().finite());

const PlanDataSchema = z.object({
  meta: z.object({
    name: z.string().min(1).max(200),
    currency: z.string().min(3).max(3),
    bucket: z.enum(BUCKET_SIZES),
    horizonStart: z.string().refine(isBucket, 'horizonStart must be YYYY-MM or YYYY-Www'),
    horizonBuckets: z.number().int().min(1).max(260),
    historyBuckets: z.number().int().min(0).max(520),
    cycleStage: z.enum(CYCLE_STAGES).default('data-gathering'),
    schemaVersion: z.number().int().optional(),
  }),
  families: z.record(id, z.object(entity)),
  products: z.record(
    id,
    z.object({
      ...entity,
      familyId: id,
      unit: z.string().min(1).max(20),
      resourceId: id,
      hoursPerUnit: z.number().finite().min(0),
      leadTimeDays: z.number().finite().min(0).default(0),
      safetyStockDays: z.number().finite().min(0).default(0),
    }),
  ),
  resources: z.record(id, z.object(entity)),
  cells: z.object(
    Object.fromEntries(VALUE_ROOTS.map((root) => [root, cells.default({})])) as Record<ValueRoot, z.ZodDefault<typeof cells>>,
  ),
});

/** Validates plain plan data from outside (a file, an API body); throws a 400 naming the first problem. */
export function parsePlanData(input: unknown): PlanData {
  const parsed = PlanDataSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(
      400,
      ErrorCode.badRequest,
      `Plan data is not valid at ${issue.path.map(String).join('.') || 'the top level'}: ${issue.message}.`,
    );
  }
  return { ...parsed.data, meta: { ...parsed.data.meta, schemaVersion: SCHEMA_VERSION } } as PlanData;
}
