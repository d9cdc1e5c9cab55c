'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Node } from '@swarm/shared';
import { useCluster, useNodes, useSynced } from '../live/hooks';
import { nodeName, sortedNodes } from '../live/selectors';
import { certFingerprint } from '../lib/cert';
import { age } from '../lib/format';
import { DEFAULT_STATE_DIR, installCommand, isLocalOnly, joinAddress, joinCommand } from '../lib/join';
import { useNow } from '../lib/use-now';
import { errorMessage } from '../trpc/errors';
import { useTRPC } from '../trpc/react';
import { ConfirmDialog } from './confirm-dialog';
import { CopyButton, CopyField } from './copy-button';
import { Card } from './card';
import { EmptyState, Loading } from './empty-state';
import { AvailabilityBadge, NodeStatusBadge, nodeHref } from './node-badges';
import { PageHeader } from './page-header';

type Role = 'worker' | 'manager';

/** The CA fingerprint, hashed in the browser from the CA certificate the stream carries. */
function useFingerprint(caCert: string | undefined): string | undefined {
  const [fp, setFp] = useState<{ cert: string; value: string }>();
  useEffect(() => {
    if (!caCert) return;
    let cancelled = false;
    certFingerprint(caCert)
      .then((value) => !cancelled && setFp({ cert: caCert, value }))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [caCert]);
  return fp?.cert === caCert ? fp?.value : undefined;
}

/**
 * `cluster.joinCommands`: the installer one-liners and the remote API address
 * to join (the manager's bind address with a wildcard host replaced by the
 * host this page was loaded from). Not in the stream, so it is a query — asked
 * once, and again only when what it is derived from changes in the live
 * store (`changeKey`: the cluster object's version, e.g. after a token
 * rotation, and the managers' addresses). No polling.
 */
function useJoinCommands(changeKey: string | undefined) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const origin = typeof window === 'undefined' ? undefined : window.location.origin;
  const query = useQuery({ ...trpc.cluster.joinCommands.queryOptions({ url: origin }), enabled: origin !== undefined && changeKey !== undefined });
  const seen = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (changeKey === undefined || seen.current === changeKey) return;
    const key = trpc.cluster.joinCommands.queryKey();
    // A change while the page is open, or an answer cached from an earlier visit
    // (the cluster may have changed meanwhile): ask again, once.
    if (seen.current !== undefined || queryClient.getQueriesData({ queryKey: key }).some(([, d]) => d !== undefined)) void queryClient.invalidateQueries({ queryKey: key });
    seen.current = changeKey;
  }, [changeKey, queryClient, trpc]);
  return query;
}

/** Rotates one join token behind a confirmation dialog. */
function RotateButton({ role, onRotated }: { role: Role; onRotated(role: Role): void }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const rotate = useMutation(
    trpc.cluster.update.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        onRotated(role);
      },
    }),
  );
  const label = `Rotate ${role} token`;
  return (
    <>
      <button
        type="button"
        className="btn btn--small btn--danger-outline"
        data-testid={`rotate-${role}`}
        onClick={() => {
          rotate.reset();
          setOpen(true);
        }}
      >
        {label}
      </button>
      <ConfirmDialog
        open={open}
        title={`Rotate the ${role} join token?`}
        confirmLabel={label}
        busyLabel="Rotating…"
        busy={rotate.isPending}
        error={rotate.isError ? errorMessage(rotate.error) : undefined}
        onConfirm={() => rotate.mutate({ rotateJoinToken: role })}
        onClose={() => setOpen(false)}
        testId={`rotate-${role}-dialog`}
      >
        <p>
          A new {role} token replaces the current one at once. <strong>The old token stops working for new joins</strong>: any{' '}
          join command or token you have handed out or scripted must be replaced with the new one.
        </p>
        <p>Nodes that already joined are not affected and keep working.</p>
      </ConfirmDialog>
    </>
  );
}

/** Nodes as they join: rows that arrived while this page was open are highlighted. */
function JoinedNodes({ nodes, fresh }: { nodes: Node[]; fresh: ReadonlySet<string> }) {
  const now = useNow();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="join-nodes">
        <caption className="sr-only">Nodes in the cluster</caption>
        <thead>
          <tr>
            <th scope="col">Hostname</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Availability</th>
            <th scope="col">Address</th>
            <th scope="col">Joined</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => {
            const host = nodeName(n);
            const isNew = fresh.has(n.id);
            return (
              <tr key={n.id} className={isNew ? 'row--new' : undefined} data-testid={`join-node-${host}`} data-node-id={n.id} data-new={isNew || undefined}>
                <th scope="row">
                  <Link href={nodeHref(n.id)} className="link-strong">
                    {host}
                  </Link>
                  {isNew && <span className="pill pill--accent pill--inline">new</span>}
                </th>
                <td data-testid="join-node-role">
                  {n.role.toLowerCase()}
                  {n.managerStatus && <span className="sub"> ({n.managerStatus.leader ? 'leader' : n.managerStatus.reachability.toLowerCase()})</span>}
                </td>
                <td>
                  <NodeStatusBadge node={n} />
                </td>
                <td>
                  <AvailabilityBadge node={n} />
                </td>
                <td className="mono">{n.status.addr || '—'}</td>
                <td className="muted nowrap">{age(n.meta.createdAt, now)} ago</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function JoinScreen() {
  const synced = useSynced();
  const cluster = useCluster();
  const nodes = useNodes();
  const list = useMemo(() => sortedNodes(nodes), [nodes]);
  const liveAddr = useMemo(() => joinAddress(nodes.values()), [nodes]);
  const joinQ = useJoinCommands(synced && cluster ? `${cluster.meta.version}|${liveAddr ?? ''}` : undefined);
  const fingerprint = useFingerprint(cluster?.rootCa?.caCert);
  const [hostname, setHostname] = useState('');
  const [stateDir, setStateDir] = useState(DEFAULT_STATE_DIR);
  const [managerAddr, setManagerAddr] = useState('');
  const [rotated, setRotated] = useState<Role | null>(null);

  // Nodes present at the first snapshot are the baseline; anything after is "new".
  const baseline = useRef<Set<string> | null>(null);
  if (synced && baseline.current === null) baseline.current = new Set(nodes.keys());
  const fresh = useMemo(() => new Set([...nodes.keys()].filter((id) => baseline.current && !baseline.current.has(id))), [nodes]);

  if (!synced) return <Loading what="join tokens" />;
  const tokens = cluster?.rootCa?.joinTokens;
  if (!tokens) return <EmptyState title="This cluster has no CA yet">Nodes cannot join until the manager has set up the cluster CA.</EmptyState>;

  const join = joinQ.data;
  // Right after a rotation the stream has the new token before the refetch answers: never show the old one.
  const current = join && join.worker.token === tokens.worker && join.manager.token === tokens.manager ? join : undefined;
  // The address comes from the server (wildcard binds resolved); the live one only if the query failed.
  const addr = current?.remoteApi ?? (joinQ.isError ? liveAddr : undefined);
  const command = addr ? joinCommand({ addr, token: tokens.worker, hostname, stateDir }) : undefined;
  const install = current?.worker.install ? installCommand(current.worker.install, { hostname, stateDir }) : undefined;
  const pending = !current && !joinQ.isError;
  const remote = managerAddr.trim() ? ['--listen-remote-api', managerAddr.trim()] : [];
  const managerCommand = addr ? joinCommand({ addr, token: tokens.manager, hostname, stateDir }, remote) : undefined;
  const managerInstall = current?.manager.install ? installCommand(current.manager.install, { hostname, stateDir }, remote) : undefined;
  return (
    <>
      <PageHeader title="Join a node" meta="Add a worker or a manager to this cluster: run the command on the new machine." />
      {rotated && (
        <div className="notice" role="status" data-testid="rotate-notice">
          <span>
            The {rotated} token was rotated. The old one no longer admits new nodes; the {rotated} commands below use the new one.
          </span>
          <button type="button" className="notice__close" aria-label="Dismiss" onClick={() => setRotated(null)}>
            ×
          </button>
        </div>
      )}

      <Card id="join-node" title="The new node">
        <div className="form__row">
          <label className="field">
            <span className="field__label">Hostname of the new node</span>
            <input className="input input--mono" value={hostname} onChange={(e) => setHostname(e.target.value)} placeholder="its own hostname" spellCheck={false} autoComplete="off" />
          </label>
          <label className="field">
            <span className="field__label">State directory</span>
            <input className="input input--mono" value={stateDir} onChange={(e) => setStateDir(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
        </div>
        <p className="field__hint">Both commands below use these; leave the hostname empty to keep the machine&apos;s own.</p>
      </Card>

      <Card id="join-worker" title="Add a worker" aside={<RotateButton role="worker" onRotated={setRotated} />}>

        <h3 className="join__step" id="join-install-title">
          Install and join <span className="sub">— on the new machine (Linux, Node.js 20+), as root</span>
        </h3>
        {install ? (
          <CopyField value={install} label="worker install command" testId="join-install-worker" multiline />
        ) : (
          <p className="muted" data-testid="join-install-pending">
            {pending ? 'Loading the install command…' : 'This manager serves no installer.'}
          </p>
        )}
        <p className="field__hint">
          Downloads swarmd from this manager, checks it against the cluster CA named in the token, joins and starts it as a service. Re-running it is
          safe; <span className="mono">/usr/local/bin/swarm-uninstall</span> removes it again.
        </p>

        <h3 className="join__step" id="join-swarmd-title">
          Or run swarmd yourself <span className="sub">— where swarmd is already installed</span>
        </h3>
        {command ? (
          <CopyField value={command} label="worker join command" testId="join-command-worker" multiline />
        ) : (
          <p className="muted">{pending ? 'Loading the join command…' : 'Waiting for the manager to report its remote API address…'}</p>
        )}
        {addr && isLocalOnly(addr) && (
          <p className="field__hint" data-testid="join-addr-local">
            The manager listens on <span className="mono">{addr}</span>, which only this machine can reach. Start swarmd with{' '}
            <span className="mono">--listen-remote-api &lt;reachable address&gt;:4242</span> to join nodes from other machines.
          </p>
        )}
      </Card>

      <Card id="join-manager" title="Add a manager" aside={<RotateButton role="manager" onRotated={setRotated} />}>
        <p className="field__hint">
          Managers keep the cluster state replicated with Raft and each serves this dashboard. Run an odd number: three managers keep working
          when one fails, five when two do. The manager token admits managers: keep it secret.
        </p>
        <label className="field">
          <span className="field__label">Remote API address of the new manager</span>
          <input
            className="input input--mono"
            value={managerAddr}
            onChange={(e) => setManagerAddr(e.target.value)}
            placeholder="its reachable address, e.g. 10.0.0.12:4242"
            spellCheck={false}
            autoComplete="off"
          />
          <span className="field__hint">The other managers reach it there (Raft and agents); without it, swarmd listens on 127.0.0.1:4242 only.</span>
        </label>
        <h3 className="join__step">Install and join as a manager</h3>
        {managerInstall ? (
          <CopyField value={managerInstall} label="manager install command" testId="join-install-manager" multiline />
        ) : (
          <p className="muted">{pending ? 'Loading the install command…' : 'This manager serves no installer.'}</p>
        )}
        <h3 className="join__step">Or run swarmd yourself</h3>
        {managerCommand ? (
          <CopyField value={managerCommand} label="manager join command" testId="join-command-manager" multiline />
        ) : (
          <p className="muted">{pending ? 'Loading the join command…' : 'Waiting for the manager to report its remote API address…'}</p>
        )}
        <h3 className="join__step">Manager join token</h3>
        <CopyField value={tokens.manager} label="manager join token" testId="join-token-manager" multiline />
      </Card>

      <Card id="join-ca" title="Cluster CA">
        <p className="field__hint">
          Join tokens carry a digest of this CA, so a new node refuses a manager that presents another one. Compare the fingerprint with{' '}
          <span className="mono">swarmctl cluster inspect</span> when in doubt.
        </p>
        <div className="copy-field">
          <code className="copy-field__value copy-field__value--wrap" data-testid="ca-fingerprint">
            {fingerprint ?? '…'}
          </code>
          <CopyButton text={fingerprint ?? ''} label="CA fingerprint" testId="copy-ca-fingerprint" disabled={!fingerprint} />
        </div>
      </Card>

      <section aria-labelledby="join-nodes-title">
        <div className="section-header">
          <h2 id="join-nodes-title" className="section-header__title">
            Nodes <span className="muted" data-testid="join-node-count">({list.length})</span>
          </h2>
          <span className="sub" role="status" aria-live="polite">
            {fresh.size > 0 ? `${fresh.size} joined while this page was open` : 'New nodes appear here as they join.'}
          </span>
        </div>
        <JoinedNodes nodes={list} fresh={fresh} />
      </section>
    </>
  );
}
