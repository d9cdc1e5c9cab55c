'use client';
import { ApiTokens } from './api-tokens';
import { PageHeader } from './page-header';

export function SettingsScreen() {
  return (
    <>
      <PageHeader title="Settings" meta="Access to this cluster's API" />
      <ApiTokens />
    </>
  );
}
