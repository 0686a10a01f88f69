// Every progress line of the session (the same lines the CLI prints), newest last.
import { useEffect, useRef } from 'react';
import type { InstallLogLine } from '../../../shared/contract/index.js';

export function ActivityLog({ lines }: { lines: readonly InstallLogLine[] }) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [lines.length]);
  return (
    <details className="panel activity">
      <summary>Activity ({lines.length} lines)</summary>
      <ol className="activity-lines mono" aria-label="Install activity">
        {lines.map((l, i) => (
          <li key={i} data-level={l.level} ref={i === lines.length - 1 ? end : undefined}>
            <span className="activity-time">{new Date(l.time).toLocaleTimeString()}</span>
            <span className="activity-step">{l.step}</span>
            <span>{l.text}</span>
          </li>
        ))}
      </ol>
    </details>
  );
}
