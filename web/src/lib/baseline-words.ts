// What the statistical baseline's changes say, in words: pure, shared by the data page and the plan page's notice.
import type { BaselineChangeRecord, BaselineTrigger } from '@accord/protocol';
import { formatBucket, formatWhole } from './format.ts';

const TWO_DIGITS = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A moment in the browser's time zone: `10:32` today, `20 Nov 10:32` otherwise. */
export function formatWhen(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${TWO_DIGITS(at.getHours())}:${TWO_DIGITS(at.getMinutes())}`;
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  return sameDay ? time : `${at.getDate()} ${MONTHS[at.getMonth()]} ${time}`;
}

/** What started a change, in words: "after the import at 10:32 by Olivia Ops". */
export function triggerWords(trigger: BaselineTrigger, now: Date = new Date()): string {
  const by = 'userName' in trigger && trigger.userName ? ` by ${trigger.userName}` : '';
  const when = formatWhen(trigger.at, now);
  switch (trigger.type) {
    case 'import':
      return `after the import at ${when}${by}`;
    case 'request':
      return `on request at ${when}${by}`;
    case 'restart':
      return `after a server restart at ${when}`;
    case 'restore':
      return `at ${when}${by}`;
  }
}

const cells = (n: number) => `${formatWhole(n)} cell${n === 1 ? '' : 's'}`;
const products = (n: number) => `${formatWhole(n)} product${n === 1 ? '' : 's'}`;

/** One change in a sentence: "Baseline re-run after the import at 10:32 by Olivia Ops: 504 cells changed in 28 products". */
export function changeHeadline(change: BaselineChangeRecord, now: Date = new Date()): string {
  if (change.kind === 'restore') {
    return `Baseline restored ${triggerWords(change.trigger, now)}: ${cells(change.changedCells)} in ${products(change.changedProducts)} back to their previous values`;
  }
  return `Baseline re-run ${triggerWords(change.trigger, now)}: ${cells(change.changedCells)} changed in ${products(change.changedProducts)}`;
}

/** One cell change in words: "SPA-003 Jul 27: 14,882 → 12,470". */
export function cellChangeWords(cell: { productId: string; bucket: string; previous: number | null; value: number | null }): string {
  const value = (n: number | null) => (n === null ? 'empty' : formatWhole(n));
  return `${cell.productId} ${formatBucket(cell.bucket)}: ${value(cell.previous)} → ${value(cell.value)}`;
}

/** Products whose forecast lost its season, in words (empty when none). */
export function lostSeasonWords(change: BaselineChangeRecord): string {
  const lost = change.shapeChanges.filter((shape) => shape.from === 'seasonal');
  if (lost.length === 0) return '';
  const names = lost.map((shape) => `${shape.productId} (seasonal → ${shape.to ?? 'empty'})`);
  return `${products(lost.length)} lost ${lost.length === 1 ? 'its' : 'their'} season: ${names.join(', ')}`;
}
