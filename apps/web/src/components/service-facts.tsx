'use client';
import { formatDuration, type Service, type UpdateConfig } from '@swarm/shared';
import { modeLabel, type ReplicaCounts } from '../live/selectors';
import { DEFAULT_RESTART, DEFAULT_UPDATE } from '../lib/spec-defaults';
import { Card } from './card';
import { Fact } from './fact';
import { ReplicaMeter } from './replica-meter';
import { ScaleControl } from './scale-control';

const configText = (c: UpdateConfig | undefined): string => {
  const x = c ?? DEFAULT_UPDATE;
  const text =
    `parallelism ${x.parallelism === 0 ? 'all' : x.parallelism}, delay ${formatDuration(x.delayMs)}, on failure ${x.failureAction}, ` +
    `monitor ${formatDuration(x.monitorMs)}, max failure ratio ${x.maxFailureRatio}, ${x.order}`;
  return c ? text : `${text} (defaults)`;
};

function modeText(s: Service): string {
  const m = s.spec.mode;
  return m.kind === 'replicated-job' ? `${modeLabel(s)}: ${m.totalCompletions} completions, ${m.maxConcurrent} at a time` : modeLabel(s);
}

/** The service's spec as facts: image, command, mode, replicas and scale, restart policy, update and rollback configs. */
export function ServiceFacts({ service, counts }: { service: Service; counts: ReplicaCounts }) {
  const spec = service.spec;
  const c = spec.task.container;
  const r = spec.task.restart ?? DEFAULT_RESTART;
  const job = spec.mode.kind === 'replicated-job' || spec.mode.kind === 'global-job';
  return (
    <Card id="svc-overview" title="Overview">
      <dl className="facts">
        <Fact term="Image">
          <span className="mono">{c.image}</span>
        </Fact>
        <Fact term="Command">
          <span className="mono">{[...c.command, ...c.args].join(' ') || <span className="muted">image default</span>}</span>
        </Fact>
        <Fact term="Mode" testId="fact-mode">
          {modeText(service)}
        </Fact>
        <Fact term="Replicas">
          <ReplicaMeter counts={counts} label={spec.annotations.name} />
        </Fact>
        {spec.mode.kind === 'replicated' && (
          <Fact term="Scale">
            <ScaleControl service={service} />
          </Fact>
        )}
        <Fact term="Restart" testId="fact-restart">
          {`${r.condition}, after ${formatDuration(r.delayMs)}`}
          {r.maxAttempts > 0 ? `, at most ${r.maxAttempts} attempts` : ''}
          {r.windowMs > 0 ? ` per ${formatDuration(r.windowMs)}` : ''}
        </Fact>
        {!job && (
          <>
            <Fact term="Update config" testId="fact-update">
              {configText(spec.update)}
            </Fact>
            <Fact term="Rollback config" testId="fact-rollback">
              {configText(spec.rollback)}
            </Fact>
          </>
        )}
      </dl>
    </Card>
  );
}
