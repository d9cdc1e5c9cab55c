import type { ReactNode } from 'react';

/**
 * A titled card: `section.card` labelled by its `h2`. `aside` sits at the
 * right of the title row (a link to the full list, a button), and `testId`
 * lands on the section.
 */
export function Card({ id, title, aside, testId, className, children }: { id: string; title: ReactNode; aside?: ReactNode; testId?: string; className?: string; children: ReactNode }) {
  const h2 = (
    <h2 id={id} className="card__title">
      {title}
    </h2>
  );
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={id} data-testid={testId}>
      {aside ? (
        <div className="card__head">
          {h2}
          {aside}
        </div>
      ) : (
        h2
      )}
      {children}
    </section>
  );
}
