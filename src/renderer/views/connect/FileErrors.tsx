// Kubeconfig files that could not be read or parsed, with file, line and column.
import type { KubeconfigFileError } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';

export function FileErrors({ errors }: { errors: readonly KubeconfigFileError[] }) {
  return (
    <section className="callout callout-warning" aria-label="Kubeconfig file problems">
      <Icon name="alert" size={18} className="callout-icon" />
      <div className="callout-body">
        <div className="callout-title">
          {errors.length === 1 ? 'A kubeconfig file has a problem' : `${errors.length} kubeconfig problems`}; the other contexts still work
        </div>
        <ul className="file-errors">
          {errors.map((e, i) => (
            <li key={`${e.file}:${i}`}>
              <span className="mono file-ref">
                {e.file}
                {e.line !== null && `:${e.line}`}
                {e.column !== null && `:${e.column}`}
              </span>
              <span>{e.message}</span>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
