// Label selectors: validation with field paths (as the API server does it), compilation into a
// fast matcher, matching, and the kubectl-style text form.
import type { Labels, LabelSelector, LabelSelectorOperator } from './types.js';
import {
  fieldError,
  fieldPath,
  labelKeyProblems,
  labelValue,
  labelValueProblems,
  type FieldProblem,
} from './validation.js';

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * The API server's checks for a LabelSelector: matchLabels keys/values, matchExpressions
 * operators, required/forbidden values and value formats. `path` names the selector
 * (e.g. `spec.podSelector`); problems name the exact field below it.
 */
export function validateLabelSelector(selector: LabelSelector | null | undefined, path: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (selector == null) return problems;
  if (typeof selector !== 'object' || Array.isArray(selector)) {
    return [fieldError(path, 'must be an object with matchLabels and/or matchExpressions', selector)];
  }
  const matchLabelsPath = fieldPath.child(path, 'matchLabels');
  const matchLabels = selector.matchLabels ?? {};
  if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
    problems.push(fieldError(matchLabelsPath, 'must be a map of label keys to values', matchLabels));
  } else {
    for (const [key, value] of Object.entries(matchLabels)) {
      const keyPath = fieldPath.key(matchLabelsPath, key);
      for (const msg of labelKeyProblems(key)) problems.push(fieldError(keyPath, msg, key));
      if (typeof value !== 'string') problems.push(fieldError(keyPath, 'label value must be a string', value));
      else for (const msg of labelValueProblems(value)) problems.push(fieldError(keyPath, msg, value));
    }
  }
  const expressions = selector.matchExpressions ?? [];
  if (!Array.isArray(expressions)) {
    problems.push(fieldError(fieldPath.child(path, 'matchExpressions'), 'must be a list', expressions));
    return problems;
  }
  expressions.forEach((req, i) => {
    const reqPath = fieldPath.index(fieldPath.child(path, 'matchExpressions'), i);
    if (req == null || typeof req !== 'object') {
      problems.push(fieldError(reqPath, 'must be an object with key, operator and values', req));
      return;
    }
    const values = req.values ?? [];
    const valuesPath = fieldPath.child(reqPath, 'values');
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!Array.isArray(values) || values.length === 0) {
          problems.push(fieldError(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (Array.isArray(values) && values.length > 0) {
          problems.push(fieldError(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        }
        break;
      default:
        problems.push(fieldError(fieldPath.child(reqPath, 'operator'), 'not a valid selector operator', req.operator));
    }
    const key = typeof req.key === 'string' ? req.key : '';
    for (const msg of labelKeyProblems(key)) problems.push(fieldError(fieldPath.child(reqPath, 'key'), msg, req.key));
    if (Array.isArray(values)) {
      values.forEach((v, vi) => {
        const vPath = fieldPath.index(valuesPath, vi);
        if (typeof v !== 'string') problems.push(fieldError(vPath, 'must be a string', v));
        else for (const msg of labelValueProblems(v)) problems.push(fieldError(vPath, msg, v));
      });
    } else {
      problems.push(fieldError(valuesPath, 'must be a list of strings', values));
    }
  });
  return problems;
}

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: ReadonlySet<string>;
}

/** A compiled selector: requirements ANDed together; none = matches everything. */
export interface LabelMatcher {
  readonly requirements: readonly SelectorRequirement[];
  /** True when the selector is empty (`{}`), i.e. it selects everything. */
  readonly matchesEverything: boolean;
  matches(labels: Readonly<Labels>): boolean;
  /** kubectl-style form: `app=web,tier in (a,b),!legacy`; `<all>` for the empty selector. */
  readonly text: string;
}

/** Thrown when a selector cannot be compiled; `path` names the offending field. */
export class SelectorError extends Error {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'SelectorError';
    this.path = path;
  }
}

function requirementMatches(req: SelectorRequirement, labels: Readonly<Labels>): boolean {
  const value = labelValue(labels, req.key);
  switch (req.operator) {
    case 'In':
      return value !== undefined && req.values.has(value);
    case 'NotIn':
      return value === undefined || !req.values.has(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}

function requirementText(req: SelectorRequirement): string {
  const values = [...req.values].sort();
  switch (req.operator) {
    case 'In':
      return values.length === 1 ? `${req.key}=${values[0]}` : `${req.key} in (${values.join(',')})`;
    case 'NotIn':
      return values.length === 1 ? `${req.key}!=${values[0]}` : `${req.key} notin (${values.join(',')})`;
    case 'Exists':
      return req.key;
    case 'DoesNotExist':
      return `!${req.key}`;
  }
}

/**
 * Compile a selector for matching. Structural problems that make matching impossible
 * (unknown operator, In without values, non-string values) throw a SelectorError naming the
 * field; format problems (e.g. an invalid label value) do not, since they cannot change
 * what matches. Call validateLabelSelector for the full list.
 */
export function compileSelector(selector: LabelSelector | null | undefined, path = 'selector'): LabelMatcher {
  const requirements: SelectorRequirement[] = [];
  if (selector != null) {
    if (typeof selector !== 'object' || Array.isArray(selector)) throw new SelectorError(path, 'must be an object');
    const matchLabels = selector.matchLabels ?? {};
    if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
      throw new SelectorError(fieldPath.child(path, 'matchLabels'), 'must be a map of label keys to values');
    }
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string') {
        throw new SelectorError(fieldPath.key(fieldPath.child(path, 'matchLabels'), key), 'label value must be a string');
      }
      requirements.push({ key, operator: 'In', values: new Set([value]) });
    }
    const expressions = selector.matchExpressions ?? [];
    if (!Array.isArray(expressions)) throw new SelectorError(fieldPath.child(path, 'matchExpressions'), 'must be a list');
    expressions.forEach((req, i) => {
      const reqPath = fieldPath.index(fieldPath.child(path, 'matchExpressions'), i);
      if (req == null || typeof req !== 'object' || typeof req.key !== 'string') {
        throw new SelectorError(reqPath, 'must be an object with a string key');
      }
      if (!OPERATORS.includes(req.operator)) {
        throw new SelectorError(fieldPath.child(reqPath, 'operator'), `not a valid selector operator: ${JSON.stringify(req.operator)}`);
      }
      const operator = req.operator as LabelSelectorOperator;
      const values = req.values ?? [];
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
        throw new SelectorError(fieldPath.child(reqPath, 'values'), 'must be a list of strings');
      }
      if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
        throw new SelectorError(fieldPath.child(reqPath, 'values'), `must be specified when \`operator\` is '${operator}'`);
      }
      if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
        throw new SelectorError(fieldPath.child(reqPath, 'values'), `may not be specified when \`operator\` is '${operator}'`);
      }
      requirements.push({ key: req.key, operator, values: new Set(values) });
    });
  }
  const text = requirements.length === 0 ? '<all>' : requirements.map(requirementText).join(',');
  return {
    requirements,
    matchesEverything: requirements.length === 0,
    text,
    matches: (labels) => {
      for (const req of requirements) if (!requirementMatches(req, labels)) return false;
      return true;
    },
  };
}

/** One-shot match; an absent selector matches everything here (callers decide null semantics). */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Labels> | undefined): boolean {
  return compileSelector(selector).matches(labels ?? {});
}

/** kubectl-style text of a selector (`<all>` when empty). Throws SelectorError if malformed. */
export function selectorToString(selector: LabelSelector | null | undefined): string {
  return compileSelector(selector).text;
}
