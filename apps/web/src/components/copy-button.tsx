'use client';
import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard';

/** Copies `text`; says "Copied" (announced) for a moment, or that the browser refused. */
export function CopyButton({ text, label, testId, disabled }: { text: string; label: string; testId?: string; disabled?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <span className="copy">
      <button
        type="button"
        className="btn btn--small"
        aria-label={`Copy ${label}`}
        data-testid={testId}
        data-state={state}
        disabled={disabled}
        onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}
      >
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="copy__status" role="status" aria-live="polite">
        {state === 'failed' ? 'Copy failed: select the text and copy it' : state === 'copied' ? <span className="sr-only">{label} copied</span> : ''}
      </span>
    </span>
  );
}

/** A secret or command shown in full, selectable, with a copy button. */
export function CopyField({ value, label, testId, multiline = false }: { value: string; label: string; testId: string; multiline?: boolean }) {
  return (
    <div className="copy-field">
      <code className={`copy-field__value${multiline ? ' copy-field__value--wrap' : ''}`} data-testid={testId}>
        {value}
      </code>
      <CopyButton text={value} label={label} testId={`copy-${testId}`} />
    </div>
  );
}
