import type { Role } from '@accord/protocol';
import { cellKey, type ValueRoot } from '@accord/plan-calc';
import { setCell } from '@accord/plan-model';
import type { PlanClient } from './clients.ts';

/** Roots each writing role may change at the demo plan's stage, so every random edit is an honest one. */
export const WRITABLE: Partial<Record<Role, ValueRoot[]>> = {
  sales: ['sales', 'marketing'],
  operations: ['production', 'capacity', 'inventory'],
  finance: ['prices', 'costs', 'budget'],
  leader: ['consensus'],
};

/** A seeded generator of numbers in [0, 1) (Park–Miller), so a failing storm can be replayed. */
export function seeded(seed: number): () => number {
  return () => (seed = (seed * 48271) % 2147483647) / 2147483647;
}

export interface EditStorm {
  /** Stops after the round under way; resolves with the number of edits made. */
  stop(): Promise<number>;
}

/**
 * Random allowed edits until stopped: every `intervalMs`, each writer edits (with probability
 * `1 - skip`) one cell of a random root it may write, for a random product and month.
 */
export function editStorm(options: {
  writers: { client: PlanClient; roots: ValueRoot[] }[];
  products: string[];
  months: string[];
  random: () => number;
  skip: number;
  intervalMs: number;
}): EditStorm {
  const { writers, products, months, random } = options;
  let editing = true;
  let edits = 0;
  const loop = (async () => {
    while (editing) {
      for (const { client, roots } of writers) {
        if (random() < options.skip) continue;
        const root = roots[Math.floor(random() * roots.length)]!;
        const product = products[Math.floor(random() * products.length)]!;
        const key =
          root === 'inventory' || root === 'prices' || root === 'costs'
            ? product
            : cellKey(product, months[Math.floor(random() * months.length)]!);
        setCell(client.doc, root, key, Math.round(random() * 10_000));
        edits++;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  })();
  return {
    async stop() {
      editing = false;
      await loop;
      return edits;
    },
  };
}
