/** Load as a fraction of capacity; null when the capacity is missing or not positive. */
export function utilisation(loadHours: number, capacityHours: number | null): number | null {
  return capacityHours === null || capacityHours <= 0 ? null : loadHours / capacityHours;
}

/** Whether a resource is asked for more hours than it has; never without a capacity cell. */
export function isOverloaded(loadHours: number, capacityHours: number | null): boolean {
  return capacityHours !== null && loadHours > Math.max(capacityHours, 0);
}

/**
 * The factor applied to the production of every product of a resource in a bucket: 1 when the
 * resource is not overloaded, else capacity / load, so that the constrained load equals capacity.
 */
export function capacityScale(loadHours: number, capacityHours: number | null): number {
  return capacityHours !== null && isOverloaded(loadHours, capacityHours) ? Math.max(capacityHours, 0) / loadHours : 1;
}
