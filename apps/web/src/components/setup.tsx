'use client';
import { useSearchParams } from 'next/navigation';
import { completeSetup } from '../auth/session';
import { CredentialsForm } from './credentials-form';

/** First start: the one-time link swarmd prints creates the first admin. */
export function Setup() {
  const token = useSearchParams().get('token') ?? '';
  if (!token) {
    return (
      <div className="card auth__card">
        <h1 className="auth__title">Setup link needed</h1>
        <p className="auth__intro">Open the one-time link swarmd printed when it started (…/setup?token=…), or sign in if an admin already exists.</p>
        <a className="btn" href="/signin">
          Sign in
        </a>
      </div>
    );
  }
  return (
    <CredentialsForm
      title="Create the first admin"
      intro="This cluster has no users yet. Choose the administrator's name and password."
      submitLabel="Create admin and sign in"
      confirm
      onSubmit={(u, p) => completeSetup(token, u, p)}
      onSuccess={() => location.assign('/')}
    />
  );
}
