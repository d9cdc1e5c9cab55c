import type { ReactNode } from 'react';

/**
 * One term/value pair of a `dl.facts` list. `testId` marks the pair,
 * `valueTestId` the value; `mono` sets the value in the monospace face.
 */
export function Fact({ term, children, testId, valueTestId, mono }: { term: string; children: ReactNode; testId?: string; valueTestId?: string; mono?: boolean }) {
  return (
    <div data-testid={testId}>
      <dt>{term}</dt>
      <dd data-testid={valueTestId} className={mono ? 'mono' : undefined}>
        {children}
      </dd>
    </div>
  );
}
