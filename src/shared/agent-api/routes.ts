// The agent API's paths, response envelopes and error body, so agent, CLI and console agree on one definition.
import { z } from 'zod';
import { ServiceEntrySchema } from './services.js';
import { EndpointInfoSchema, IdentityInfoSchema } from './endpoints.js';

/** Default HTTPS port of the agent API (config key api-port). */
export const DEFAULT_AGENT_API_PORT = 4244;
/** Namespace every install object lives in. */
export const AGENT_NAMESPACE = 'lumen-system';
/** Local unix socket of the API (no token: root on the node only). */
export const AGENT_API_SOCKET = '/var/run/lumen/lumen.sock';

/**
 * Header carrying the install token. `Authorization: Bearer <token>` works on direct
 * connections, but the kube-apiserver removes the Authorization header of every request it
 * authenticated before proxying it (pod proxy), so the console sends this header instead.
 */
export const AGENT_TOKEN_HEADER = 'x-lumen-token';

export const agentApiPaths = {
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
  status: '/v1/status',
  services: '/v1/services',
  service: (id: number): string => `/v1/services/${id}`,
  endpoints: '/v1/endpoints',
  identities: '/v1/identities',
  /** endpoint: numeric id or "namespace/pod" (the slash is kept, the route takes two segments). */
  policy: (endpoint: string): string => `/v1/policy/${endpoint.split('/').map(encodeURIComponent).join('/')}`,
  /** Query: the flow filter's query-string form plus follow=true|false and limit=<n>. */
  flows: '/v1/flows',
  /** DELETE ?frontend=<ip:port/proto>&backend=<ip:port>: removes one backend from the maps (operator tooling). */
  lbBackend: '/v1/bpf/lb/backend',
} as const;

export const ServiceListSchema = z.object({ items: z.array(ServiceEntrySchema) });
export type ServiceList = z.infer<typeof ServiceListSchema>;
export const EndpointListSchema = z.object({ items: z.array(EndpointInfoSchema) });
export type EndpointList = z.infer<typeof EndpointListSchema>;
export const IdentityListSchema = z.object({ items: z.array(IdentityInfoSchema) });
export type IdentityList = z.infer<typeof IdentityListSchema>;

export const LbBackendDeleteResultSchema = z.object({
  /** Whether the backend was in the frontend's slots (false: nothing to delete). */
  removed: z.boolean(),
  /** Backend slots left on the frontend. */
  remainingBackends: z.number().int().nonnegative(),
});
export type LbBackendDeleteResult = z.infer<typeof LbBackendDeleteResultSchema>;

export const ApiErrorCodeSchema = z.enum([
  'bad-request', 'unauthorized', 'not-found', 'method-not-allowed', 'not-ready', 'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;
export const ApiErrorBodySchema = z.object({ error: z.object({ code: ApiErrorCodeSchema, message: z.string() }) });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
