'use client';
import { useSearchParams } from 'next/navigation';
import { safeNext, signIn } from '../auth/session';
import { CredentialsForm } from './credentials-form';

export function SignIn() {
  const next = safeNext(useSearchParams().get('next'));
  return (
    <CredentialsForm
      title="Sign in"
      submitLabel="Sign in"
      onSubmit={signIn}
      // A full load, so the console starts its stream with the new session.
      onSuccess={() => location.assign(next)}
    />
  );
}
