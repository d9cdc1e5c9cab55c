'use client';
import { useId, type ReactElement } from 'react';
import { cloneElement } from 'react';

/**
 * A labelled filter control. The label points at the control with `for`/`id`
 * rather than wrapping it, so a `<select>`'s accessible name is just the label
 * ("State"), not the label plus the selected option's text.
 */
export function FilterField({ label, grow = false, children }: { label: string; grow?: boolean; children: ReactElement<{ id?: string }> }) {
  const id = useId();
  return (
    <div className={`field field--inline${grow ? ' field--grow' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {cloneElement(children, { id })}
    </div>
  );
}
