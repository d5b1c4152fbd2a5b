import * as Y from 'yjs';
import type { Family, Product, Resource } from '@accord/plan-calc';
import type { EntityRoot } from './plan-doc.ts';

type EntityOf<R extends EntityRoot> = R extends 'products' ? Product : R extends 'families' ? Family : Resource;

function entityMap(doc: Y.Doc, root: EntityRoot): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(root);
}

/**
 * An order number strictly between two neighbours (either may be missing), so that concurrent
 * moves never rewrite other rows: each move touches only the moved row's `order`.
 * @example orderBetween(1, 2) === 1.5
 */
export function orderBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return 0;
  if (before === undefined) return after! - 1;
  if (after === undefined) return before + 1;
  return (before + after) / 2;
}

/** Adds a product, family or resource (one nested map, so its fields can be edited concurrently). */
export function addEntity<R extends EntityRoot>(doc: Y.Doc, root: R, entity: EntityOf<R>, origin?: unknown): void {
  const map = entityMap(doc, root);
  if (map.has(entity.id)) throw new Error(`${root} already has ${entity.id}`);
  doc.transact(() => {
    const fields = new Y.Map<unknown>();
    for (const [field, value] of Object.entries(entity)) if (field !== 'id' && value !== undefined) fields.set(field, value);
    map.set(entity.id, fields);
  }, origin);
}

/** Changes some fields of an entity (rename, move to another family, new hours per unit…). */
export function updateEntity<R extends EntityRoot>(
  doc: Y.Doc,
  root: R,
  id: string,
  patch: Partial<Omit<EntityOf<R>, 'id'>>,
  origin?: unknown,
): void {
  const fields = entityMap(doc, root).get(id);
  if (!(fields instanceof Y.Map)) throw new Error(`${root} has no ${id}`);
  doc.transact(() => {
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) fields.delete(field);
      else if (fields.get(field) !== value) fields.set(field, value);
    }
  }, origin);
}

/** Moves an entity between two others (by their ids; undefined = start or end). */
export function moveEntity(
  doc: Y.Doc,
  root: EntityRoot,
  id: string,
  afterId: string | undefined,
  beforeId: string | undefined,
  origin?: unknown,
): void {
  const map = entityMap(doc, root);
  const orderOf = (other: string | undefined) => (other === undefined ? undefined : (map.get(other)?.get('order') as number | undefined));
  updateEntity(doc, root, id, { order: orderBetween(orderOf(afterId), orderOf(beforeId)) }, origin);
}

/** Retires (or reinstates) an entity: it keeps its history and cells but leaves the horizon maths. */
export function retireEntity(doc: Y.Doc, root: EntityRoot, id: string, retired = true, origin?: unknown): void {
  updateEntity(doc, root, id, { retired: retired ? true : undefined } as Partial<Omit<EntityOf<typeof root>, 'id'>>, origin);
}
