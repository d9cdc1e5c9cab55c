/**
 * Node labels as the dashboard edits them: one `key=value` per line. Keys
 * follow Docker's label conventions (letters, digits, `.`, `_`, `-`, `/`,
 * starting with a letter or digit); the value is everything after the first
 * `=` and may be empty. Errors name the line.
 */
export type LabelsResult = { ok: true; value: Record<string, string> } | { ok: false; error: string };

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

export function parseLabelLines(text: string): LabelsResult {
  const value: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) return { ok: false, error: `line ${i + 1}: "${line}" is not key=value` };
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) return { ok: false, error: `line ${i + 1}: "${key}" is not a valid label key (letters, digits, . _ - /, starting with a letter or digit)` };
    if (Object.hasOwn(value, key)) return { ok: false, error: `line ${i + 1}: "${key}" is given twice` };
    value[key] = line.slice(eq + 1).trim();
  }
  return { ok: true, value };
}

export const labelLines = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
