// One SelfSubjectAccessReview: "may I <verb> <group>/<resource>[/<subresource>] [in <namespace>]?"
// Used by connect (the console's own needs) and by the install preflight (the install's).
import { HttpStatusError } from './errors.js';

export interface ResourceAccess {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
}

export interface AccessVerdict {
  allowed: boolean;
  /** The authorizer's reason, an evaluation error, or why the question could not be asked. */
  reason: string | null;
}

interface AccessReviewAnswer {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** How the caller's client POSTs a JSON object (KubeHttp.postJson, KubeApi.create). */
export type PostJson = (path: string, body: unknown, options: { signal?: AbortSignal; timeoutMs: number }) => Promise<unknown>;

export async function selfAccessReview(post: PostJson, access: ResourceAccess, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AccessVerdict> {
  try {
    const answer = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb: access.verb,
          group: access.group,
          resource: access.resource,
          ...(access.subresource ? { subresource: access.subresource } : {}),
          ...(access.namespace ? { namespace: access.namespace } : {}),
        },
      },
    }, { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? 10_000 }) as AccessReviewAnswer;
    const s = answer.status ?? {};
    const reason = s.evaluationError ? `${s.reason ?? ''} (evaluation error: ${s.evaluationError})`.trim() : (s.reason ?? null);
    return { allowed: s.allowed === true, reason: reason || null };
  } catch (error) {
    // Without the right to ask, the answer is unknown: report it as not allowed, and why.
    if (error instanceof HttpStatusError && error.statusCode === 403) {
      return { allowed: false, reason: `cannot check: access reviews are forbidden (${error.status?.message ?? '403'})` };
    }
    throw error;
  }
}
