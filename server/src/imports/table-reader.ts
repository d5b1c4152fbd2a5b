// exceljs takes ~0.4 s to load: imported on first XLSX, not at server start.
import type ExcelJS from 'exceljs';
import type { RawCell } from './cell-values.ts';

/** A table read from a file: its header cells and data rows, each with its row number in the file. */
export interface Table {
  format: 'csv' | 'xlsx';
  headers: string[];
  /** Row number of the header line (1-based, as a spreadsheet shows it). */
  headerRow: number;
  rows: { row: number; cells: RawCell[] }[];
}

/** A file that cannot be read as a table at all (not CSV, not XLSX, no header). */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}

/** Whether the bytes are a ZIP container (XLSX files are). */
export function looksLikeXlsx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Reads CSV text (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes): UTF-8 with
 * or without a byte order mark; the delimiter is a comma unless the header line has semicolons or
 * tabs and no commas; cells are trimmed; blank lines are skipped but keep their row numbers.
 * Hand-written rather than csv-parse because a 100,000-row import spent most of its time there.
 */
export function readCsv(bytes: Uint8Array): Table {
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes(',') ? ',' : firstLine.includes(';') ? ';' : firstLine.includes('\t') ? '\t' : ',';
  const records = parseCsvRecords(text, delimiter);
  const [header, ...data] = records;
  if (!header) throw new UnreadableFileError('The file is empty: it has no header line and no rows.');
  return {
    format: 'csv',
    headers: header.cells.map((h) => h ?? ''),
    headerRow: header.line,
    rows: data.map(({ line, cells }) => ({ row: line, cells })),
  };
}

/** Splits CSV text into records with the line each starts on; empty cells become null. */
export function parseCsvRecords(text: string, delimiter: string): { line: number; cells: (string | null)[] }[] {
  const records: { line: number; cells: (string | null)[] }[] = [];
  const length = text.length;
  const delimiterCode = delimiter.charCodeAt(0);
  let i = 0;
  let line = 1;
  while (i < length) {
    const startLine = line;
    const cells: (string | null)[] = [];
    let blank = true;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === 34 /* " */) {
        let out = '';
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0)
            throw new UnreadableFileError(`The CSV cannot be read: a quoted field opened on line ${startLine} is never closed.`);
          for (let k = from; k < quote; k++) if (text.charCodeAt(k) === 10) line++;
          if (text.charCodeAt(quote + 1) === 34) {
            out += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          out += text.slice(from, quote);
          i = quote + 1;
          break;
        }
        // Anything between the closing quote and the delimiter (normally nothing) is kept.
        let end = i;
        while (end < length && text.charCodeAt(end) !== delimiterCode && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
        value = out + text.slice(i, end);
        i = end;
      } else {
        let end = i;
        while (end < length) {
          const c = text.charCodeAt(end);
          if (c === delimiterCode || c === 10 || c === 13) break;
          end++;
        }
        value = text.slice(i, end);
        i = end;
      }
      const trimmed = value.trim();
      if (trimmed !== '') blank = false;
      cells.push(trimmed === '' ? null : trimmed);
      if (i < length && text.charCodeAt(i) === delimiterCode) {
        i++;
        continue;
      }
      break;
    }
    // End of record: \r\n, \n, \r or end of text.
    if (text.charCodeAt(i) === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    line++;
    if (!blank) records.push({ line: startLine, cells });
  }
  return records;
}

/** The plain value of an ExcelJS cell: formulas give their result, rich text its text. */
function xlsxValue(value: ExcelJS.CellValue): RawCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value;
  if (typeof value === 'object') {
    if ('result' in value) return xlsxValue((value.result ?? null) as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('text' in value) return String(value.text);
    if ('error' in value) return String(value.error);
  }
  return null;
}

/** Reads the named worksheet (or the first) of an XLSX file; the first non-empty row is the header. */
export async function readXlsx(bytes: Uint8Array, sheetName?: string): Promise<Table> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (e: unknown) {
    throw new UnreadableFileError(`The XLSX file cannot be read: ${e instanceof Error ? e.message : String(e)}.`);
  }
  const sheet = sheetName ? workbook.getWorksheet(sheetName) : workbook.worksheets[0];
  if (!sheet) {
    const names = workbook.worksheets.map((w) => w.name).join(', ');
    throw new UnreadableFileError(
      sheetName ? `The workbook has no sheet "${sheetName}" (it has ${names}).` : 'The workbook has no sheets.',
    );
  }
  let headers: string[] | undefined;
  let headerRow = 0;
  const rows: Table['rows'] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // row.values is 1-based: index 0 is always empty.
    const values = (row.values as ExcelJS.CellValue[]).slice(1).map(xlsxValue);
    if (values.every((v) => v === null || (typeof v === 'string' && v.trim() === ''))) return;
    if (!headers) {
      headers = values.map((v) => (v === null ? '' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).trim()));
      headerRow = rowNumber;
      return;
    }
    rows.push({ row: rowNumber, cells: values.map((v) => (typeof v === 'string' && v.trim() === '' ? null : v)) });
  });
  if (!headers) throw new UnreadableFileError(`The sheet "${sheet.name}" is empty: it has no header row and no rows.`);
  return { format: 'xlsx', headers, headerRow, rows };
}
