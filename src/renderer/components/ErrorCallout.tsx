// Shows one typed error: what kind, the sentence, and the detail and hint when there are any.
import type { ErrorCode, LumenErrorPayload } from '../../shared/contract/index.js';
import { Icon } from './Icon.js';

export const errorTitles: Record<ErrorCode, string> = {
  'invalid-request': 'Invalid request',
  'unknown-channel': 'Unknown request',
  unreachable: 'Unreachable',
  tls: 'TLS verification failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'expired-credentials': 'Credentials expired',
  'exec-plugin': 'Credential plugin problem',
  kubeconfig: 'Kubeconfig problem',
  'server-error': 'Server error',
  'not-found': 'Not found',
  'not-connected': 'Not connected',
  transport: 'Console link lost',
  internal: 'Internal error',
};

export function ErrorCallout({ error, compact = false }: { error: LumenErrorPayload; compact?: boolean }) {
  if (compact) {
    return (
      <span className="inline-error" data-error-code={error.code}>
        <Icon name="alert" size={13} />
        <span>
          <strong>{errorTitles[error.code]}:</strong> {error.message}
        </span>
      </span>
    );
  }
  return (
    <div className="callout callout-error" role="alert" data-error-code={error.code}>
      <Icon name="alert" size={18} className="callout-icon" />
      <div className="callout-body">
        <div className="callout-title">{errorTitles[error.code]}</div>
        <p className="callout-message">{error.message}</p>
        {error.detail && <p className="callout-detail mono">{error.detail}</p>}
        {error.hint && <p className="callout-hint">{error.hint}</p>}
        {error.cause && error.cause.length > 0 && (
          <details className="callout-cause">
            <summary>Underlying cause</summary>
            <ul>
              {error.cause.map((c, i) => (
                <li key={i} className="mono">
                  {c}
                </li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </div>
  );
}
