// A unified diff with colours (added, removed, hunk headers), and a plain YAML listing with line numbers.
import type { DiffLine } from '../../../shared/contract/index.js';

const cls: Record<DiffLine['op'], string> = { '+': 'diff-add', '-': 'diff-del', '@': 'diff-hunk', ' ': 'diff-ctx' };

export function DiffView({ lines, label }: { lines: readonly DiffLine[]; label: string }) {
  return (
    <pre className="code diff" aria-label={label}>
      {lines.map((l, i) => (
        <span key={i} className={`code-line ${cls[l.op]}`}>
          <span className="diff-op" aria-hidden="true">{l.op === '@' ? '' : l.op}</span>
          {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

export function YamlView({ text, label }: { text: string; label: string }) {
  const lines = text.replace(/\n$/, '').split('\n');
  return (
    <pre className="code yaml" aria-label={label}>
      {lines.map((l, i) => (
        <span key={i} className="code-line">
          <span className="line-no" aria-hidden="true">{i + 1}</span>
          {l}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
