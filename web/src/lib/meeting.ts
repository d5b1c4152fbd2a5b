// Pure helpers of the meeting features: activity (active/idle/away), the presenter's view as
// published through awareness, and a small throttle. No DOM, no Svelte: unit-tested beside.

/** How present a participant is: typing or pointing (`active`), nothing for a while (`idle`), tab hidden (`away`). */
export type Activity = 'active' | 'idle' | 'away';

/** No input for this long makes a participant idle. */
export const IDLE_AFTER_MS = 60_000;

/** A cell as the grid names it (`data-root`, `data-key`). */
export interface ViewCell {
  root: string;
  key: string;
}

/** The grid's filters, as the toolbar sets them. */
export interface ViewFilters {
  familyId: string | null;
  layers: string[];
  exceptionsOnly: boolean;
  search: string;
}

/** What a presenter publishes and followers apply; small enough for awareness (well under 8 KiB). */
export interface PresentingView {
  filters: ViewFilters;
  scrollTop: number;
  scrollLeft: number;
  selection: { anchor: ViewCell | null; active: ViewCell | null };
}

export function isActivity(value: unknown): value is Activity {
  return value === 'active' || value === 'idle' || value === 'away';
}

function isCell(value: unknown): value is ViewCell | null {
  if (value === null) return true;
  const cell = value as Partial<ViewCell> | undefined;
  return typeof cell === 'object' && typeof cell.root === 'string' && typeof cell.key === 'string';
}

/** Checks a remote awareness field before the grid applies it. */
export function isPresentingView(value: unknown): value is PresentingView {
  if (typeof value !== 'object' || value === null) return false;
  const view = value as Partial<PresentingView>;
  const filters = view.filters as Partial<ViewFilters> | undefined;
  return (
    typeof filters === 'object' &&
    filters !== null &&
    (filters.familyId === null || typeof filters.familyId === 'string') &&
    Array.isArray(filters.layers) &&
    filters.layers.every((layer) => typeof layer === 'string') &&
    typeof filters.exceptionsOnly === 'boolean' &&
    typeof filters.search === 'string' &&
    Number.isFinite(view.scrollTop) &&
    Number.isFinite(view.scrollLeft) &&
    typeof view.selection === 'object' &&
    view.selection !== null &&
    isCell(view.selection.anchor) &&
    isCell(view.selection.active)
  );
}

/** The activity from the time of the last input and whether the tab is hidden. */
export function activityAt(now: number, lastInputAt: number, hidden: boolean, idleAfterMs = IDLE_AFTER_MS): Activity {
  if (hidden) return 'away';
  return now - lastInputAt >= idleAfterMs ? 'idle' : 'active';
}

/** Same filters (layer order does not matter). */
export function sameFilters(a: ViewFilters, b: ViewFilters): boolean {
  return (
    a.familyId === b.familyId &&
    a.exceptionsOnly === b.exceptionsOnly &&
    a.search === b.search &&
    a.layers.length === b.layers.length &&
    a.layers.every((layer) => b.layers.includes(layer))
  );
}

/** Same cell (or both none). */
export function sameCell(a: ViewCell | null, b: ViewCell | null): boolean {
  return a === b || (a !== null && b !== null && a.root === b.root && a.key === b.key);
}

/**
 * Calls `fn` at most once per `intervalMs` with the latest arguments: the first call runs at
 * once, later ones within the interval are folded into one trailing call. `cancel` drops it.
 */
export function throttle<A extends unknown[]>(
  fn: (...args: A) => void,
  intervalMs: number,
  clock: { now: () => number; set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void } = {
    now: () => Date.now(),
    set: (run, ms) => setTimeout(run, ms),
    clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
): ((...args: A) => void) & { cancel: () => void } {
  let last = -Infinity;
  let pending: A | null = null;
  let timer: unknown = null;
  const run = () => {
    timer = null;
    if (!pending) return;
    const args = pending;
    pending = null;
    last = clock.now();
    fn(...args);
  };
  const throttled = (...args: A) => {
    pending = args;
    const wait = last + intervalMs - clock.now();
    if (wait <= 0 && timer === null) run();
    else if (timer === null) timer = clock.set(run, Math.max(0, wait));
  };
  throttled.cancel = () => {
    if (timer !== null) clock.clear(timer);
    timer = null;
    pending = null;
  };
  return throttled;
}

/** "3 pending edits" / "1 pending edit". */
export function pendingLabel(count: number): string {
  return `${count} pending edit${count === 1 ? '' : 's'}`;
}
