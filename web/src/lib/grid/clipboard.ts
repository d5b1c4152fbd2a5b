import { parseQuantity } from '../format.ts';

/**
 * Splits spreadsheet clipboard text (Excel, Google Sheets, LibreOffice: rows by line breaks, cells
 * by tabs) into rows of cells. One trailing line break is dropped: Excel ends every copy with one,
 * and reading it as an extra empty row would blank the row below the paste.
 * @example parseClipboardTable('1\t2\r\n3\t4\r\n') // [['1', '2'], ['3', '4']]
 */
export function parseClipboardTable(text: string): string[][] {
  const body = text.replace(/\r?\n$|\r$/, '');
  if (body === '') return [['']];
  return body.split(/\r?\n|\r/).map((line) => line.split('\t'));
}

/** Grid values as tab-separated text for the clipboard: raw numbers, empty cells as empty strings. */
export function toClipboardTable(rows: readonly (readonly (number | undefined)[])[]): string {
  return rows.map((row) => row.map((value) => (value === undefined ? '' : String(value))).join('\t')).join('\n');
}

/** A pasted block read as quantities, or the first cell that is not one. */
export type ParsedBlock = { ok: true; values: (number | null)[][] } | { ok: false; row: number; col: number; message: string };

/**
 * Reads every cell of a pasted block as a number (empty = clear; negatives too: each layer's bounds
 * are checked where the block lands). The whole paste is refused at the first cell that is not a
 * number, so a half-applied paste never leaves the plan inconsistent.
 */
export function parsePastedBlock(table: readonly (readonly string[])[]): ParsedBlock {
  const values: (number | null)[][] = [];
  for (let row = 0; row < table.length; row++) {
    const out: (number | null)[] = [];
    const cells = table[row]!;
    for (let col = 0; col < cells.length; col++) {
      const parsed = parseQuantity(cells[col]!, { allowNegative: true });
      if (!parsed.ok) return { ok: false, row, col, message: parsed.message };
      out.push(parsed.value);
    }
    values.push(out);
  }
  return { ok: true, values };
}

/**
 * Where a pasted block lands: at the selection's top-left corner; a single copied value fills the
 * whole selection, as in Excel. Returns `[rowOffset, colOffset, value]` for each target.
 */
export function pasteTargets(
  values: readonly (readonly (number | null)[])[],
  selection: { rows: number; cols: number },
): [number, number, number | null][] {
  const single = values.length === 1 && values[0]!.length === 1;
  const out: [number, number, number | null][] = [];
  if (single) {
    for (let r = 0; r < selection.rows; r++) for (let c = 0; c < selection.cols; c++) out.push([r, c, values[0]![0]!]);
    return out;
  }
  values.forEach((row, r) => row.forEach((value, c) => out.push([r, c, value])));
  return out;
}
