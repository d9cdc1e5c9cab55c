'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { age } from '../lib/format';
import { formatUtc } from '../lib/cert';
import { useNow } from '../lib/use-now';
import type { RouterOutputs } from '../trpc/app-router';
import { errorMessage } from '../trpc/errors';
import { useTRPC } from '../trpc/react';
import { ConfirmDialog } from './confirm-dialog';
import { CopyField } from './copy-button';
import { EmptyState } from './empty-state';

type ApiToken = RouterOutputs['auth']['listTokens'][number];

function RevokeButton({ token, onRevoked }: { token: ApiToken; onRevoked(): void }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const revoke = useMutation(
    trpc.auth.revokeToken.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        onRevoked();
      },
    }),
  );
  return (
    <>
      <button
        type="button"
        className="btn btn--small btn--danger-outline"
        aria-label={`Revoke ${token.name}`}
        onClick={() => {
          revoke.reset();
          setOpen(true);
        }}
      >
        Revoke
      </button>
      <ConfirmDialog
        open={open}
        title={`Revoke the API token “${token.name}”?`}
        confirmLabel="Revoke token"
        busyLabel="Revoking…"
        busy={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : undefined}
        onConfirm={() => revoke.mutate({ id: token.id })}
        onClose={() => setOpen(false)}
        testId="revoke-token-dialog"
      >
        <p>
          Requests that send it are refused (HTTP 401) from now on. Scripts that use <span className="mono">{token.id}</span> stop working. This cannot be
          undone; create a new token instead.
        </p>
      </ConfirmDialog>
    </>
  );
}

/** API tokens for scripts: list, create (the secret is shown once), revoke. */
export function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow();
  const list = useQuery(trpc.auth.listTokens.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.auth.listTokens.queryKey() });
  const [name, setName] = useState('');
  // The only copy of the secret the dashboard ever holds; gone on "Done" or when the page closes.
  const [created, setCreated] = useState<{ id: string; name: string; token: string } | null>(null);
  const create = useMutation(
    trpc.auth.createToken.mutationOptions({
      onSuccess: (r, vars) => {
        setCreated({ ...r, name: vars.name.trim() });
        setName('');
        void refresh();
      },
    }),
  );
  const tokens = [...(list.data ?? [])].sort((a, b) => b.createdAt - a.createdAt);

  return (
    <section aria-labelledby="api-tokens" data-testid="api-tokens">
      <div className="section-header">
        <h2 id="api-tokens" className="section-header__title">
          API tokens
        </h2>
      </div>
      <p className="field__hint">
        For scripts and CI: send <span className="mono">Authorization: Bearer &lt;token&gt;</span> to <span className="mono">/trpc</span>. A token acts with
        full rights but cannot manage tokens.
      </p>

      <form
        className="card form__row form__row--end"
        aria-label="Create an API token"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          create.mutate({ name });
        }}
      >
        <label className="field field--grow">
          <span className="field__label">Token name</span>
          <input
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. ci-deploy"
            maxLength={64}
            aria-invalid={create.isError || undefined}
            aria-describedby={create.isError ? 'token-name-error' : undefined}
            autoComplete="off"
          />
          {create.isError && (
            <span id="token-name-error" className="field-error" role="alert">
              {errorMessage(create.error)}
            </span>
          )}
        </label>
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>

      {created && (
        <div className="secret card" role="region" aria-labelledby="new-token-title" data-testid="new-token">
          <h3 id="new-token-title" className="card__title">
            Token “{created.name}” created
          </h3>
          <p className="secret__warn" role="status">
            Copy it now: this is the only time it is shown. The manager keeps only a hash of it.
          </p>
          <CopyField value={created.token} label="new API token" testId="new-token-value" multiline />
          <div className="form__actions">
            <button type="button" className="btn" onClick={() => setCreated(null)}>
              Done, I stored it
            </button>
          </div>
        </div>
      )}

      {list.isError ? (
        <p className="form__error" role="alert">
          Cannot list API tokens: {errorMessage(list.error)}
        </p>
      ) : list.isPending ? (
        <p className="muted">Loading tokens…</p>
      ) : tokens.length === 0 ? (
        <EmptyState title="No API tokens">Create one for each script, so you can revoke them one at a time.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="tokens-table">
            <caption className="sr-only">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">Created</th>
                <th scope="col">By</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-token-name={t.name}>
                  <th scope="row" className="link-strong">
                    {t.name}
                  </th>
                  <td className="mono">{t.id}</td>
                  <td>
                    {formatUtc(t.createdAt)}
                    <div className="sub">{age(t.createdAt, now)} ago</div>
                  </td>
                  <td>{t.createdBy}</td>
                  <td className="cell-actions">
                    <RevokeButton
                      token={t}
                      onRevoked={() => {
                        if (created?.id === t.id) setCreated(null);
                        void refresh();
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
