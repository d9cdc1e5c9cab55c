import type { ReplicaCounts } from '../live/selectors';

/** "2/3" with a bar; green when converged, amber while short, grey when scaled to zero. */
export function ReplicaMeter({ counts, label }: { counts: ReplicaCounts; label: string }) {
  const { running, desired } = counts;
  const tone = desired === 0 ? (running === 0 ? 'muted' : 'progress') : running >= desired ? 'ok' : 'warn';
  const pct = desired === 0 ? 0 : Math.min(100, Math.round((running / desired) * 100));
  return (
    <div className={`meter meter--${tone}`} data-running={running} data-desired={desired}>
      <span className="meter__text" data-testid="replicas">
        {running}/{desired}
      </span>
      <span
        className="meter__bar"
        role="meter"
        aria-label={`${label}: ${running} of ${desired} replicas running`}
        aria-valuemin={0}
        aria-valuemax={Math.max(desired, running)}
        aria-valuenow={running}
      >
        <span className="meter__fill" style={{ width: `${pct}%` }} />
      </span>
    </div>
  );
}
