import { describe, expect, it } from 'vitest';
import type { CommentThread } from '@accord/plan-model';
import {
  anchorCell,
  cellAnchor,
  describeAnchor,
  filterThreads,
  insertMention,
  mentionQuery,
  messageParts,
  openThreadCounts,
  parseCellParam,
  suggestMembers,
  toDisplayText,
  toLiveDecision,
  toStoredText,
} from './comments.ts';

const thread = (id: string, anchor: CommentThread['anchor'], resolved = false): CommentThread => ({
  id,
  anchor,
  createdBy: 'u1',
  createdAt: `2026-01-0${id.length}T00:00:00Z`,
  resolved,
  messages: [{ id: `${id}-m`, author: 'u1', text: 'hi', createdAt: '2026-01-01T00:00:00Z' }],
});

describe('comment anchors', () => {
  it('maps grid cells to cell anchors and back', () => {
    const anchor = cellAnchor({ root: 'sales', key: 'SPA-001|2026-03' });
    expect(anchor).toEqual({ type: 'cell', rowId: 'SPA-001', bucket: '2026-03', root: 'sales' });
    expect(anchorCell(anchor)).toEqual({ root: 'sales', key: 'SPA-001|2026-03' });
    expect(anchorCell({ type: 'plan' })).toBeNull();
  });

  it('parses the cell query parameter and refuses malformed ones', () => {
    expect(parseCellParam('sales:SPA-001|2026-03')).toEqual({ root: 'sales', key: 'SPA-001|2026-03' });
    expect(parseCellParam('sales')).toBeNull();
    expect(parseCellParam('sales:SPA-001')).toBeNull();
    expect(parseCellParam(null)).toBeNull();
  });

  it('counts open threads per cell and filters by cell and row', () => {
    const threads = [
      thread('a', { type: 'cell', rowId: 'P1', bucket: '2026-03', root: 'sales' }),
      thread('bb', { type: 'cell', rowId: 'P1', bucket: '2026-03', root: 'sales' }),
      thread('ccc', { type: 'cell', rowId: 'P1', bucket: '2026-04', root: 'sales' }, true),
      thread('dddd', { type: 'row', rowId: 'P1' }),
      thread('eeeee', { type: 'plan' }),
    ];
    expect([...openThreadCounts(threads)]).toEqual([['sales:P1|2026-03', 2]]);
    const selected = { root: 'sales', key: 'P1|2026-03' };
    expect(filterThreads(threads, 'cell', selected, false).map((t) => t.id)).toEqual(['a', 'bb']);
    expect(filterThreads(threads, 'row', selected, true).map((t) => t.id)).toEqual(['a', 'bb', 'ccc', 'dddd']);
    expect(filterThreads(threads, 'all', null, false)).toHaveLength(4);
  });

  it("names an anchor in the grid's words", () => {
    const names = (id: string) => (id === 'SPA-001' ? 'Alpine Sparkling 0.5 L' : id);
    expect(describeAnchor({ type: 'cell', rowId: 'SPA-001', bucket: '2027-03', root: 'sales' }, names)).toBe(
      'Alpine Sparkling 0.5 L · Sales forecast · Mar 27',
    );
    expect(describeAnchor({ type: 'cell', rowId: 'SPA-001', bucket: '2027-04', root: 'consensus' }, names)).toBe(
      'Alpine Sparkling 0.5 L · Consensus · Apr 27',
    );
    expect(describeAnchor({ type: 'cell', rowId: 'L1', bucket: '2027-04', root: 'capacity' })).toBe('L1 · Capacity · Apr 27');
    expect(describeAnchor({ type: 'row', rowId: 'SPA-001' }, names)).toBe('Alpine Sparkling 0.5 L');
    expect(describeAnchor({ type: 'plan' })).toBe('Whole plan');
  });
});

describe('mentions', () => {
  const members = [
    { userId: 'u-sofia', name: 'Sofia Alvarez' },
    { userId: 'u-fiona', name: 'Fiona Chen' },
    { userId: 'u-oskar', name: 'Oskar Berg' },
  ];

  it('finds the @query before the caret', () => {
    expect(mentionQuery('hello @so', 9)).toEqual({ start: 6, query: 'so' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail a@b', 8)).toBeNull();
    expect(mentionQuery('hello @so there', 15)).toBeNull();
  });

  it('suggests members by the start of any word of their name', () => {
    expect(suggestMembers(members, 'so').map((m) => m.userId)).toEqual(['u-sofia']);
    expect(suggestMembers(members, 'fi').map((m) => m.userId)).toEqual(['u-fiona']);
    expect(suggestMembers(members, 'chen').map((m) => m.userId)).toEqual(['u-fiona']);
    expect(suggestMembers(members, '')).toHaveLength(3);
  });

  it('inserts @Name, stores <@id> and renders it as @Name again', () => {
    const inserted = insertMention('ask @Fi now', 4, 7, 'Fiona Chen');
    expect(inserted).toEqual({ text: 'ask @Fiona Chen now', caret: 16 });
    expect(insertMention('ask @Fi', 4, 7, 'Fiona Chen')).toEqual({ text: 'ask @Fiona Chen ', caret: 16 });
    const picked = [members[1]!];
    expect(toStoredText(inserted.text, picked)).toBe('ask <@u-fiona> now');
    const names = new Map(members.map((m) => [m.userId, m.name]));
    expect(toDisplayText('hi <@u-fiona> and <@x>', names)).toEqual({ text: 'hi @Fiona Chen and <@x>', picked });
    expect(messageParts('ask <@u-fiona> and <@gone>!', new Map([['u-fiona', 'Fiona Chen']]))).toEqual([
      { kind: 'text', text: 'ask ' },
      { kind: 'mention', userId: 'u-fiona', name: 'Fiona Chen' },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', userId: 'gone', name: 'someone' },
      { kind: 'text', text: '!' },
    ]);
  });
});

describe('live decisions', () => {
  it('reads a mirrored decision and marks it overdue only while open', () => {
    const raw = {
      title: 'Raise output',
      owner: { id: 'u1', name: 'Oskar' },
      dueDate: '2026-01-10',
      status: 'open',
      links: { cells: [{ root: 'production', key: 'P1|2026-02' }] },
    };
    const open = toLiveDecision('d1', raw, '2026-01-11');
    expect(open).toMatchObject({
      id: 'd1',
      title: 'Raise output',
      overdue: true,
      links: { cells: [{ root: 'production', key: 'P1|2026-02' }] },
    });
    expect(toLiveDecision('d1', { ...raw, status: 'done' }, '2026-01-11').overdue).toBe(false);
    expect(toLiveDecision('d1', raw, '2026-01-10').overdue).toBe(false);
  });
});
