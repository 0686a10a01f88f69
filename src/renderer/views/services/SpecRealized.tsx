// Spec (what the API desires) and realized (what one node's agent holds) side by side as JSON, each copyable.
import { useMemo, useState } from 'react';
import type { WireObject } from '../../../shared/contract/index.js';
import type { DesiredService } from '../../../shared/services/index.js';
import type { NodeRealized } from '../../store/agents/drift.js';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (some browser-mode setups): the text stays selectable.
    return false;
  }
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      className="button button-small"
      aria-label={label}
      onClick={() => {
        void copy(text).then((ok) => {
          setState(ok ? 'copied' : 'failed');
          setTimeout(() => setState('idle'), 1500);
        });
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy JSON'}
    </button>
  );
}

/** The desired side as `lumen service get -o json` shows it: the Service spec and the frontends with backends. */
export function desiredJson(service: WireObject | undefined, desired: DesiredService): unknown {
  return {
    service: { namespace: desired.namespace, name: desired.name },
    spec: (service as { spec?: unknown } | undefined)?.spec ?? null,
    frontends: desired.frontends.map((f) => ({
      frontend: f.key,
      type: f.kind,
      portName: f.portName,
      trafficPolicy: f.trafficPolicy,
      sessionAffinity: f.sessionAffinity,
      backends: f.backends.map((b) => ({ ip: b.ip, port: b.port, state: b.state, nodeName: b.nodeName ?? null, pod: b.podRef ? `${b.podRef.namespace}/${b.podRef.name}` : null })),
    })),
  };
}

export function SpecRealized({ service, desired, nodes }: { service: WireObject | undefined; desired: DesiredService; nodes: readonly NodeRealized[] }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const node = nodes.find((n) => n.node === chosen) ?? nodes.find((n) => n.state === 'drift') ?? nodes[0];
  const left = useMemo(() => JSON.stringify(desiredJson(service, desired), null, 2), [service, desired]);
  const right = useMemo(
    () => (node ? JSON.stringify(node.error ? { node: node.node, pod: node.pod, error: node.error } : { node: node.node, pod: node.pod, entries: node.entries }, null, 2) : ''),
    [node],
  );
  return (
    <section className="spec-realized" aria-label="Spec and realized">
      <div className="json-pane">
        <div className="json-head">
          <h3>Desired (API)</h3>
          <CopyButton text={left} label="Copy desired JSON" />
        </div>
        <pre className="json" tabIndex={0} aria-label="Desired JSON">{left}</pre>
      </div>
      <div className="json-pane">
        <div className="json-head">
          <h3>Realized</h3>
          <div className="node-tabs" role="tablist" aria-label="Node">
            {nodes.map((n) => (
              <button
                key={n.node}
                type="button"
                role="tab"
                aria-selected={n === node}
                className={`node-tab state-${n.state}${n === node ? ' active' : ''}`}
                onClick={() => setChosen(n.node)}
              >
                {n.node}
              </button>
            ))}
          </div>
          {node && <CopyButton text={right} label="Copy realized JSON" />}
        </div>
        <pre className="json" tabIndex={0} aria-label="Realized JSON">{node ? right : 'Waiting for the agents…'}</pre>
      </div>
    </section>
  );
}
