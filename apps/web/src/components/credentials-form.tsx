'use client';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Result } from '@swarm/shared';

interface Props {
  title: string;
  intro?: ReactNode;
  submitLabel: string;
  /** Asks for the password twice (account creation). */
  confirm?: boolean;
  onSubmit: (username: string, password: string) => Promise<Result<unknown>>;
  onSuccess: () => void;
}

/** Username + password card shared by sign-in and first-admin setup. */
export function CredentialsForm({ title, intro, submitLabel, confirm = false, onSubmit, onSuccess }: Props) {
  const id = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (confirm && password !== again) {
      setError('the passwords do not match');
      return;
    }
    setBusy(true);
    setError(null);
    const r = await onSubmit(username.trim(), password);
    setBusy(false);
    if (r.ok) onSuccess();
    else setError(r.error);
  };

  return (
    <form className="card auth__card" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="credentials-form">
      <h1 id={`${id}-title`} className="auth__title">
        {title}
      </h1>
      {intro && <div className="auth__intro">{intro}</div>}
      <div className="field">
        <label className="field__label" htmlFor={`${id}-user`}>
          Username
        </label>
        <input id={`${id}-user`} className="input" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={`${id}-pass`}>
          Password
        </label>
        <input
          id={`${id}-pass`}
          className="input"
          type="password"
          name="password"
          autoComplete={confirm ? 'new-password' : 'current-password'}
          required
          minLength={confirm ? 10 : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {confirm && <span className="field__hint">At least 10 characters</span>}
      </div>
      {confirm && (
        <div className="field">
          <label className="field__label" htmlFor={`${id}-again`}>
            Repeat password
          </label>
          <input id={`${id}-again`} className="input" type="password" name="password-again" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        </div>
      )}
      {error && (
        <p className="form__error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn--primary auth__submit" disabled={busy}>
        {busy ? 'Please wait…' : submitLabel}
      </button>
    </form>
  );
}
