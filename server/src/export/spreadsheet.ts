// exceljs takes ~0.4 s to load: imported on first export, not at server start.
import type { PlanView } from './plan-views.ts';

/** Writes views as an XLSX workbook, one sheet per view, with a frozen header and label columns. */
export async function viewsToXlsx(views: PlanView[], title: string): Promise<Uint8Array> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Accord';
  workbook.title = title;
  for (const view of views) {
    const labelColumns = view.header.findIndex((h) => /^\d{4}-/.test(h));
    const sheet = workbook.addWorksheet(view.name, { views: [{ state: 'frozen', xSplit: Math.max(labelColumns, 0), ySplit: 1 }] });
    sheet.addRow(view.header).font = { bold: true };
    for (const row of view.rows) sheet.addRow(row);
    sheet.columns.forEach((column, i) => {
      column.width = i < labelColumns ? 22 : 12;
      if (i >= labelColumns) column.numFmt = '#,##0.##';
    });
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

/** One view as CSV (RFC 4180: comma-separated, quoted where needed, CRLF line ends). */
export function viewToCsv(view: PlanView): string {
  const quote = (value: string | number | null) => {
    if (value === null) return '';
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [view.header, ...view.rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}
