import { badInput } from '../../common/errors';

/** One CSV record with the 1-based line it starts on (a quoted field may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, `""` for a quote inside quotes,
 * commas and line breaks allowed inside quotes, LF or CRLF line ends, a leading UTF-8 BOM ignored.
 * Blank lines are skipped. A stray or unclosed quote is BAD_USER_INPUT naming its line.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quoted = false; // the current field was quoted (only a delimiter may follow its closing quote)
  let anyQuoted = false; // `""` alone on a line is a record with one empty field, not a blank line
  const n = text.length;

  const endField = () => {
    fields.push(field);
    field = '';
    quoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '' && !anyQuoted)) records.push({ line: recordLine, fields });
    fields = [];
    anyQuoted = false;
  };

  while (i < n) {
    const c = text[i];
    // PostgreSQL text cannot hold a NUL: name its line rather than fail the import's INSERT
    if (c === '\u0000') throw badInput(`CSV line ${line}: a NUL character is not allowed`, undefined, { line });
    if (c === '"') {
      if (field !== '' || quoted) throw badInput(`CSV line ${line}: a quote may only open a field or close a quoted one`, undefined, { line });
      const opened = line;
      i += 1;
      for (;;) {
        if (i >= n) throw badInput(`CSV line ${opened}: the quoted field opened here is never closed`, undefined, { line: opened });
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (q === '\n') line += 1;
        if (q === '\r' && text[i + 1] !== '\n') line += 1;
        field += q;
        i += 1;
      }
      quoted = true;
      anyQuoted = true;
      const next = text[i];
      if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
        throw badInput(`CSV line ${line}: only a comma or a line end may follow a closing quote`, undefined, { line });
      }
      continue;
    }
    if (c === ',') {
      endField();
      i += 1;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
      continue;
    }
    if (quoted) throw badInput(`CSV line ${line}: only a comma or a line end may follow a closing quote`, undefined, { line });
    field += c;
    i += 1;
  }
  if (field !== '' || fields.length > 0 || quoted) endRecord();
  return records;
}

/** Quotes a field when it holds a comma, quote, line break or leading/trailing space. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Renders rows as RFC 4180 CSV with CRLF line ends. */
export function toCsv(rows: Array<Array<string | number | null | undefined>>): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** A CSV table: the header's column names (lower-cased, trimmed) and the data records. */
export interface CsvTable {
  columns: string[];
  records: CsvRecord[];
}

/** Parses a CSV whose first record is the header; an empty document or a repeated column is BAD_USER_INPUT. */
export function parseCsvTable(text: string): CsvTable {
  const records = parseCsv(text);
  if (records.length === 0) throw badInput('The CSV document is empty; it needs a header line', undefined, { line: 1 });
  const [header, ...rows] = records;
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const seen = new Set<string>();
  for (const column of columns) {
    if (column && seen.has(column)) throw badInput(`The CSV header names the column "${column}" twice`, undefined, { line: header.line });
    seen.add(column);
  }
  for (const row of rows) {
    if (row.fields.length > columns.length && row.fields.slice(columns.length).some((f) => f.trim() !== '')) {
      throw badInput(`CSV line ${row.line} has ${row.fields.length} fields but the header has ${columns.length}`, undefined, { line: row.line });
    }
  }
  return { columns, records: rows };
}
