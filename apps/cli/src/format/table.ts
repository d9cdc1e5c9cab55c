/**
 * Go's text/tabwriter, as swarmctl uses it (left-aligned cells, space padding,
 * no flags). Cells are terminated by '\t'; the last cell of a line is not
 * part of any column. Consecutive lines that have a cell in column k form a
 * column block aligned to the widest cell + padding (at least minWidth).
 * A line with fewer cells ends the block, so headings and key/value lines
 * can be mixed in one writer exactly as SwarmKit's inspect commands do.
 */

export interface TabWriterOptions {
  minWidth: number;
  padding: number;
}

/** `tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)`: swarmctl's list tables. */
export const LIST_TABLE: TabWriterOptions = { minWidth: 0, padding: 2 };
/** `tabwriter.NewWriter(w, 4, 4, 4, ' ', 0)`: the task table in inspect output. */
export const TASK_TABLE: TabWriterOptions = { minWidth: 4, padding: 4 };
/** `tabwriter.NewWriter(w, 8, 8, 8, ' ', 0)`: "Key\t: value" inspect blocks. */
export const INSPECT_BLOCK: TabWriterOptions = { minWidth: 8, padding: 8 };

/** Display width of a cell: code points (Go counts runes). */
const width = (s: string): number => [...s].length;

/** Aligns tab-separated text. Input lines end with '\n'; a missing final newline is kept missing. */
export function tabwrite(text: string, opts: TabWriterOptions): string {
  const trailingNewline = text.endsWith('\n');
  const rawLines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
  const lines = rawLines.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((c, j) => {
        s += c;
        const w = widths[j];
        if (j < cells.length - 1 && w !== undefined) s += ' '.repeat(Math.max(0, w - width(c)));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      // A block of lines that all have a (tab-terminated) cell in this column.
      writeLines(start, cur);
      start = cur;
      let w = opts.minWidth;
      for (; cur < line1; cur++) {
        const cells = lines[cur]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + opts.padding);
      }
      widths.push(w);
      format(start, cur);
      widths.pop();
      start = cur; // the line that ended the block has no cell here: the increment skips it, as Go does
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** A header row plus its dashed underline, as `common.PrintHeader` prints them. */
export function header(...columns: string[]): string {
  return `${columns.join('\t')}\n${columns.map((c) => '-'.repeat(c.length)).join('\t')}\n`;
}

/** A list table: header, underline and one tab-separated line per row. */
export function table(columns: string[], rows: string[][], opts: TabWriterOptions = LIST_TABLE): string {
  return tabwrite(header(...columns) + rows.map((r) => `${r.join('\t')}\n`).join(''), opts);
}
