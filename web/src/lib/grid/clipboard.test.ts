import { describe, expect, it } from 'vitest';
import { parseClipboardTable, parsePastedBlock, pasteTargets, toClipboardTable } from './clipboard.ts';

describe('parseClipboardTable', () => {
  it('drops the trailing line break Excel adds, so the last row is not an empty one', () => {
    expect(parseClipboardTable('1\t2\t3\r\n4\t5\t6\r\n')).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
    expect(parseClipboardTable('1\t2\n3\t4\n')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('keeps a deliberately empty last row when there are two line breaks', () => {
    expect(parseClipboardTable('1\n\n')).toEqual([['1'], ['']]);
  });

  it('keeps empty cells inside a row', () => {
    expect(parseClipboardTable('1\t\t3')).toEqual([['1', '', '3']]);
  });

  it('reads an empty clipboard as one empty cell', () => {
    expect(parseClipboardTable('')).toEqual([['']]);
    expect(parseClipboardTable('\r\n')).toEqual([['']]);
  });
});

describe('parsePastedBlock', () => {
  it('reads grouped, quoted and plain numbers, and empty cells as clears', () => {
    expect(
      parsePastedBlock([
        ['1,200', '"12,500"', ''],
        ['7.5', ' 30 ', '0'],
      ]),
    ).toEqual({
      ok: true,
      values: [
        [1200, 12500, null],
        [7.5, 30, 0],
      ],
    });
  });

  it('refuses the whole block at the first cell that is not a number', () => {
    const result = parsePastedBlock([
      ['1', '2'],
      ['3', 'abc'],
    ]);
    expect(result).toMatchObject({ ok: false, row: 1, col: 1 });
    expect(result.ok === false && result.message).toContain('abc');
  });

  it('reads negative numbers, which only some layers take (uplifts)', () => {
    expect(parsePastedBlock([['-5', '-1,200']])).toEqual({ ok: true, values: [[-5, -1200]] });
  });
});

describe('pasteTargets', () => {
  it('places a block at the top-left of the selection', () => {
    expect(
      pasteTargets(
        [
          [1, 2],
          [3, null],
        ],
        { rows: 1, cols: 1 },
      ),
    ).toEqual([
      [0, 0, 1],
      [0, 1, 2],
      [1, 0, 3],
      [1, 1, null],
    ]);
  });

  it('fills the whole selection with a single value', () => {
    expect(pasteTargets([[9]], { rows: 2, cols: 2 })).toEqual([
      [0, 0, 9],
      [0, 1, 9],
      [1, 0, 9],
      [1, 1, 9],
    ]);
  });
});

describe('toClipboardTable', () => {
  it('writes raw numbers separated by tabs and rows by line breaks', () => {
    expect(
      toClipboardTable([
        [1200, undefined],
        [3.5, 0],
      ]),
    ).toBe('1200\t\n3.5\t0');
  });

  it('round-trips through parseClipboardTable', () => {
    const text = toClipboardTable([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(parseClipboardTable(`${text}\r\n`)).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
  });
});
