// Typed failures of calls to agents through the API server's pod proxy, each naming the node and pod it concerns.
import { ApiErrorBodySchema } from '../../shared/agent-api/index.js';
import { LumenError, agentFailures, type AgentFailure, type ErrorCode, type LumenErrorPayload } from '../../shared/contract/index.js';
import { HttpStatusError } from '../cluster/errors.js';

/**
 * Why an agent call failed (AgentFailure, from the contract), finer than the error codes:
 * - not-installed: no token Secret / namespace: Lumen is not installed in this cluster;
 * - not-running: no agent pod on the node, or it is not running (pending, crash-looping);
 * - not-ready: the pod runs but is not Ready and did not answer;
 * - unreachable: the API server could not reach the agent's port (503/502 from the proxy);
 * - token-mismatch: the agent answered 401: the Secret's token is not the one it loaded;
 * - forbidden: RBAC denies pods/proxy (or reading the token Secret) to this user;
 * - not-found: the agent has no such object (service id, endpoint);
 * - agent-error: the agent answered with another error;
 * - bad-response: the answer does not match the agent API's schema (version skew?);
 * - cluster: the API server itself failed (credentials, network) — see the payload's code.
 */
export { agentFailures, type AgentFailure };

const codeOf: Record<AgentFailure, ErrorCode> = {
  'not-installed': 'not-found',
  'not-running': 'unreachable',
  'not-ready': 'unreachable',
  unreachable: 'unreachable',
  'token-mismatch': 'unauthorized',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  'agent-error': 'server-error',
  'bad-response': 'server-error',
  cluster: 'internal',
};

/** Where a call went: the node always, the pod once one was found. */
export interface AgentWhere {
  node: string | null;
  pod: string | null;
  /** Agent API path (e.g. /v1/services). */
  path?: string;
}

export class AgentError extends LumenError {
  override readonly name = 'AgentError';
  constructor(
    readonly failure: AgentFailure,
    readonly node: string | null,
    readonly pod: string | null,
    payload: Omit<LumenErrorPayload, 'code'> & { code?: ErrorCode },
    options?: { cause?: unknown },
  ) {
    super({ ...payload, code: payload.code ?? codeOf[failure] }, options);
  }
}

/** "agent on node "n1" (pod lumen-system/lumen-agent-x)": the subject of every message. */
export function describeAgent(where: AgentWhere, namespace: string): string {
  const node = where.node ? `agent on node "${where.node}"` : 'agent';
  return where.pod ? `${node} (pod ${namespace}/${where.pod})` : node;
}

/** `extra.code` overrides the failure's usual contract code (cluster failures keep the API server's). */
export function agentError(failure: AgentFailure, where: AgentWhere, message: string, extra: Omit<LumenErrorPayload, 'code' | 'message'> & { code?: ErrorCode } = {}, cause?: unknown): AgentError {
  return new AgentError(failure, where.node, where.pod, { message, ...extra }, cause === undefined ? undefined : { cause });
}

/** The agent's own error body, when the answer came from the agent rather than the API server. */
function agentBody(error: HttpStatusError): { code: string; message: string } | null {
  try {
    const parsed = ApiErrorBodySchema.safeParse(JSON.parse(error.bodyText));
    return parsed.success ? parsed.data.error : null;
  } catch {
    return null;
  }
}

export interface ClassifyContext {
  where: AgentWhere;
  namespace: string;
  /** The pod is known not to be Ready: connection failures then read as not-ready. */
  podReady: boolean;
  /** Why the pod is not ready, when known (condition message). */
  podState?: string;
  /** Classifies failures of the API server itself (credentials, network). */
  classifyCluster(error: unknown): LumenError;
  tokenSecret: string;
}

/**
 * Turns a failed proxied request into an AgentError. Answers that carry the agent's error
 * body came from the agent; anything else (a Kubernetes Status, plain text) came from the
 * API server's proxy, which is how 401 from the agent and 401 from the API server differ.
 */
export function classifyAgentError(error: unknown, ctx: ClassifyContext): AgentError {
  if (error instanceof AgentError) return error;
  const who = describeAgent(ctx.where, ctx.namespace);
  const path = ctx.where.path ?? '';
  if (error instanceof HttpStatusError) {
    const fromAgent = agentBody(error);
    if (fromAgent) {
      if (error.statusCode === 401) {
        return agentError('token-mismatch', ctx.where, `${who} rejected the install token (401)`, {
          detail: `the token in Secret ${ctx.namespace}/${ctx.tokenSecret} is not the one the agent loaded; agent said: ${fromAgent.message}`,
          hint: 'The Secret was changed after the agent started and the new file has not reached it yet, or the install is inconsistent: restart the agent pods or re-run the install.',
        }, error);
      }
      if (error.statusCode === 404) return agentError('not-found', ctx.where, `${who}: ${fromAgent.message}`, { detail: `GET ${path}` }, error);
      if (fromAgent.code === 'not-ready' || error.statusCode === 503) {
        return agentError('not-ready', ctx.where, `${who} is not ready: ${fromAgent.message}`, { detail: `GET ${path}` }, error);
      }
      return agentError('agent-error', ctx.where, `${who} answered GET ${path} with HTTP ${error.statusCode}: ${fromAgent.message}`, {}, error);
    }
    const says = error.status?.message ?? (error.bodyText.trim().slice(0, 300) || `HTTP ${error.statusCode}`);
    if (error.statusCode === 403) {
      return agentError('forbidden', ctx.where, `you may not reach the ${who} through the API server (403 Forbidden: pods/proxy in ${ctx.namespace})`, {
        detail: says,
        hint: `Ask for "get" on pods/proxy in namespace ${ctx.namespace} (the console reaches agents only through the pod proxy).`,
      }, error);
    }
    if (error.statusCode === 404 && error.status?.details?.kind === 'pods') {
      return agentError('not-running', ctx.where, `${who} is gone (the pod was deleted)`, { detail: says }, error);
    }
    if (error.statusCode === 502 || error.statusCode === 503 || (error.statusCode === 500 && /error trying to reach|dial tcp|connection refused/i.test(says))) {
      if (!ctx.podReady) {
        return agentError('not-ready', ctx.where, `${who} is not ready and does not answer${ctx.podState ? ` (${ctx.podState})` : ''}`, { detail: says }, error);
      }
      return agentError('unreachable', ctx.where, `the API server cannot reach the ${who}: ${says}`, {
        hint: 'The agent API listens on the node address (hostNetwork); check that the API server can reach the node and that the agent runs.',
      }, error);
    }
    if (error.statusCode === 401) {
      const cluster = ctx.classifyCluster(error);
      return agentError('cluster', ctx.where, cluster.message, { ...stripCode(cluster.payload), code: cluster.code }, error);
    }
    return agentError('agent-error', ctx.where, `the API server answered GET ${path} for the ${who} with HTTP ${error.statusCode}`, { detail: says }, error);
  }
  if ((error as { name?: string } | null)?.name === 'AbortError') {
    return agentError('cluster', ctx.where, `call to the ${who} was cancelled`, { code: 'internal' }, error);
  }
  const cluster = ctx.classifyCluster(error);
  return agentError('cluster', ctx.where, `cannot call the ${who}: ${cluster.message}`, { ...stripCode(cluster.payload), code: cluster.code }, error);
}

function stripCode(payload: LumenErrorPayload): Omit<LumenErrorPayload, 'code' | 'message'> {
  const { code: _code, message: _message, ...rest } = payload;
  return rest;
}

interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  errors?: readonly (readonly SchemaIssue[])[];
}

/** The most telling issue: inside a union, the branch that got furthest (deepest path). */
function telling(issue: SchemaIssue): SchemaIssue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: SchemaIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0] && telling(branch[0]);
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  return best ? { ...best, path: [...issue.path, ...best.path] } : issue;
}

/** An answer that does not match the agent API schema: names the node, path and first bad field. */
export function badResponse(where: AgentWhere, namespace: string, issues: readonly SchemaIssue[]): AgentError {
  const first = issues[0] && telling(issues[0]);
  const at = first ? first.path.map(String).join('.') || '(root)' : '(root)';
  return agentError('bad-response', where, `${describeAgent(where, namespace)} answered ${where.path ?? ''} with data Lumen does not understand: ${at}: ${first?.message ?? 'invalid'}`, {
    detail: `${issues.length} problem(s); the console and the agent may be different versions`,
  });
}
