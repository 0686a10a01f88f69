// Field problems (errors/warnings with a field path) and the Kubernetes string-format checks
// (label keys and values, port names) with the API server's own wording.

/**
 * One thing wrong with an object, located by its field path in Kubernetes' notation
 * (`spec.ingress[0].from[1].ipBlock.except[0]`, map keys as `matchLabels[app]`).
 * - error: the API server rejects it (or, for a stored object, we cannot interpret it);
 * - warning: accepted by Kubernetes, but Lumen cannot enforce it as written, or it very
 *   likely does not do what its author meant.
 */
export interface FieldProblem {
  path: string;
  severity: 'error' | 'warning';
  message: string;
  /** The offending value, when there is one to show. */
  value?: unknown;
}

export function fieldError(path: string, message: string, value?: unknown): FieldProblem {
  return value === undefined ? { path, severity: 'error', message } : { path, severity: 'error', message, value };
}

export function fieldWarning(path: string, message: string, value?: unknown): FieldProblem {
  return value === undefined ? { path, severity: 'warning', message } : { path, severity: 'warning', message, value };
}

/** `spec.ingress[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive` */
export function formatProblem(p: FieldProblem): string {
  const value = p.value === undefined ? '' : `Invalid value: ${JSON.stringify(p.value)}: `;
  return `${p.path}: ${p.severity === 'warning' ? 'warning: ' : ''}${value}${p.message}`;
}

/** Path helpers that produce Kubernetes' notation. */
export const fieldPath = {
  child: (base: string, name: string): string => (base === '' ? name : `${base}.${name}`),
  index: (base: string, i: number): string => `${base}[${i}]`,
  key: (base: string, key: string): string => `${base}[${key}]`,
};

const labelKeyNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const portNameCharsRe = /^[-a-z0-9]+$/;

const LABEL_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Messages for a label key that the API server would reject (empty = valid). */
export function labelKeyProblems(key: string): string[] {
  const problems: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
      if (!dns1123SubdomainRe.test(prefix)) {
        problems.push(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        );
      }
    }
  } else {
    return [`a valid label key ${LABEL_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!labelKeyNameRe.test(name)) problems.push(`name part ${LABEL_NAME_MSG}`);
  return problems;
}

/** Messages for a label value that the API server would reject (empty = valid). */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    problems.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}

/** Messages for a named port (IANA_SVC_NAME) the API server would reject (empty = valid). */
export function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push('must be no more than 15 characters');
  if (!portNameCharsRe.test(name)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

/** True for an integer port number 1..65535. */
export function isValidPortNumber(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Own-property lookup: label keys such as `constructor` must not hit Object.prototype. */
export function labelValue(labels: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  if (labels == null || !Object.prototype.hasOwnProperty.call(labels, key)) return undefined;
  return labels[key];
}
