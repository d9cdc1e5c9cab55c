'use client';
import { useEffect, useId, useRef, type ReactNode } from 'react';

interface Props {
  open: boolean;
  title: string;
  /** What happens if the user confirms (the dialog's description). */
  children: ReactNode;
  confirmLabel: string;
  /** Shown on the confirm button while the action runs. */
  busyLabel?: string;
  tone?: 'danger' | 'primary';
  busy?: boolean;
  /** The server's refusal, shown in the dialog (the user can retry or cancel). */
  error?: string | undefined;
  onConfirm(): void;
  onClose(): void;
  testId?: string;
  /** Extra controls between the description and the buttons (e.g. a "force" checkbox). */
  extra?: ReactNode;
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal confirmation on the native `<dialog>`: `showModal()` makes the rest
 * of the page inert, Tab wraps inside the dialog, Esc cancels (unless the
 * action is running), it is labelled by its title and described by its text,
 * focus starts on Cancel (the safe choice) and returns to the opener on close.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, busyLabel, tone = 'danger', busy = false, error, onConfirm, onClose, testId, extra }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement as HTMLElement | null;
      d.showModal();
      cancelRef.current?.focus();
    } else if (!open && d.open) {
      d.close();
      const back = opener.current;
      opener.current = null;
      if (back?.isConnected) back.focus();
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={descId}
      data-testid={testId}
      onCancel={(e) => {
        // Esc: close through React state, never mid-request.
        e.preventDefault();
        if (!busy) onClose();
      }}
      onKeyDown={(e) => {
        if (e.key !== 'Tab') return;
        const items = [...(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
        const first = items[0];
        const last = items[items.length - 1];
        if (!first || !last) return;
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) onConfirm();
        }}
      >
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <div id={descId} className="dialog__body">
          {children}
        </div>
        {extra}
        {error && (
          <p className="form__error" role="alert" data-testid={testId ? `${testId}-error` : undefined}>
            {error}
          </p>
        )}
        <div className="dialog__actions">
          <button ref={cancelRef} type="button" className="btn" disabled={busy} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={`btn btn--${tone}`} disabled={busy}>
            {busy ? (busyLabel ?? `${confirmLabel}…`) : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
