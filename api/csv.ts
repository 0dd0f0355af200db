import type { Request, Response } from 'express';

/*
 * CSV for the report endpoints: RFC 4180 (CRLF line ends, a header row, fields quoted when they hold a
 * comma, a quote, CR or LF, quotes doubled), UTF-8. Nulls are empty fields. Text cells that a spreadsheet
 * would run as a formula (starting with =, +, -, @, tab or CR) get a leading apostrophe: source channels and
 * rep names come from outside (form fills, CRM), and a CSV export is opened in spreadsheets.
 */

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => CsvValue;
}

const needsQuoting = /[",\r\n]/;
const formulaStart = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = formulaStart.test(value) ? `'${value}` : value;
  return needsQuoting.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * CSV when the query says `format=csv`, or when there is no `format` and the Accept header prefers
 * text/csv over JSON; JSON otherwise. (`format` is validated by the route's query schema.)
 */
export function wantsCsv(req: Request, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Sends a CSV body as a download named `<filename>.csv`. */
export function sendCsv(res: Response, filename: string, body: string): void {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
  res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}.csv"`);
  res.setHeader('Vary', 'Accept');
  res.send(body);
}
