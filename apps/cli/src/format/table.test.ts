import { describe, expect, it } from 'vitest';
import { INSPECT_BLOCK, LIST_TABLE, TASK_TABLE, header, table, tabwrite } from './table.js';
import { ago, goDuration } from './time.js';
import { cpus, iBytes } from './units.js';

describe('tabwrite (Go text/tabwriter)', () => {
  it('aligns columns to the widest cell plus padding; the last cell is not padded', () => {
    expect(tabwrite('a\tbb\tc\naaa\tb\tcc\n', LIST_TABLE)).toBe('a    bb  c\naaa  b   cc\n');
  });

  it('honours the minimum width', () => {
    expect(tabwrite('ID\t: x\n', INSPECT_BLOCK)).toBe('ID        : x\n'); // max(8, 2 + 8)
    expect(tabwrite('a\tb\n', TASK_TABLE)).toBe('a    b\n');
    expect(tabwrite('a\tb\n', { minWidth: 6, padding: 1 })).toBe('a     b\n');
  });

  it('a line without the column ends the block (inspect headings)', () => {
    const text = 'ID\t: 1\nName\t: default\nOrchestration settings:\n  Task history entries: 5\nLonger key\t: v\n';
    expect(tabwrite(text, INSPECT_BLOCK)).toBe(
      'ID          : 1\nName        : default\nOrchestration settings:\n  Task history entries: 5\nLonger key        : v\n',
    );
  });

  it('a tab-terminated heading takes part in the column', () => {
    expect(tabwrite('Template\t\n Container\t\n  Image\t: nginx\n', INSPECT_BLOCK)).toBe(
      'Template          \n Container        \n  Image           : nginx\n',
    );
  });

  it('pads empty cells and counts code points, not UTF-16 units', () => {
    expect(tabwrite('x\t\ty\nµµ\tz\tw\n', LIST_TABLE)).toBe('x      y\nµµ  z  w\n');
  });

  it('keeps a missing final newline missing', () => {
    expect(tabwrite('a\tb', LIST_TABLE)).toBe('a  b');
  });

  it('nested blocks: a second column only spans the lines that have it', () => {
    expect(tabwrite('a\tb\tc\naa\tb\nx\tyyyy\tz\n', LIST_TABLE)).toBe('a   b  c\naa  b\nx   yyyy  z\n');
  });
});

describe('table / header', () => {
  it('underlines the header with dashes, as common.PrintHeader does', () => {
    expect(header('ID', 'Name')).toBe('ID\tName\n--\t----\n');
    expect(table(['ID', 'Name', 'Replicas'], [['abc', 'web', '0/3'], ['defgh', 'db', 'global']])).toBe(
      'ID     Name  Replicas\n--     ----  --------\nabc    web   0/3\ndefgh  db    global\n',
    );
  });
  it('an empty table is just the header', () => {
    expect(table(['ID', 'Name'], [])).toBe('ID  Name\n--  ----\n');
  });
});

describe('goDuration (time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [5000, '5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [2160 * 3_600_000, '2160h0m0s'],
    [0.5, '500µs'],
    [-5000, '-5s'],
  ])('%d ms → %s', (ms, s) => {
    expect(goDuration(ms)).toBe(s);
  });
});

describe('ages and units', () => {
  it('prints ages with humanAge + " ago"', () => {
    expect(ago(1_000_000, 1_000_000 + 3 * 60_000)).toBe('3 minutes ago');
    expect(ago(1_000, 1_200)).toBe('Less than a second ago');
    expect(ago(undefined)).toBe('');
  });
  it.each([
    [0, '0 B'],
    [9, '9 B'],
    [1024, '1.0 KiB'],
    [512 * 1024 ** 2, '512 MiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
  ])('iBytes(%d) = %s', (n, s) => {
    expect(iBytes(n)).toBe(s);
  });
  it('prints CPUs from nano-CPUs', () => {
    expect(cpus(500_000_000)).toBe('0.5');
    expect(cpus(2e9)).toBe('2');
  });
});
