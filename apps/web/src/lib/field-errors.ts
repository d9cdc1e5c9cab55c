/**
 * Maps API/zod error messages ("annotations.name: invalid name …; mode.replicas: …")
 * onto form fields, so each error shows next to the input it is about.
 */
export type FieldErrors<F extends string> = Partial<Record<F | 'form', string>>;

export function fieldErrors<F extends string>(message: string, fields: Record<string, F>): FieldErrors<F> {
  const out: FieldErrors<F> = {};
  for (const part of message.split(/;\s+/)) {
    const m = /^([\w.[\]]+):\s*(.*)$/s.exec(part);
    const path = m?.[1];
    const field = path ? Object.entries(fields).find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`))?.[1] : undefined;
    const key: F | 'form' = field ?? 'form';
    const text = field ? (m?.[2] ?? part) : part;
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  }
  return out;
}

export function issuesToFieldErrors<F extends string>(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  fields: Record<string, F>,
): FieldErrors<F> {
  return fieldErrors(issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; '), fields);
}
