// API collection paths (all namespaces) of the kinds Lumen lists and watches, shared by the
// console's and the agent's list+watch transports.

export const LUMEN_API_GROUP = 'lumen.dev';
export const LUMEN_API_VERSION = 'v1';

export const collectionPaths = {
  nodes: '/api/v1/nodes',
  namespaces: '/api/v1/namespaces',
  pods: '/api/v1/pods',
  services: '/api/v1/services',
  endpointslices: '/apis/discovery.k8s.io/v1/endpointslices',
  networkpolicies: '/apis/networking.k8s.io/v1/networkpolicies',
  identities: `/apis/${LUMEN_API_GROUP}/${LUMEN_API_VERSION}/identities`,
  lumenendpoints: `/apis/${LUMEN_API_GROUP}/${LUMEN_API_VERSION}/lumenendpoints`,
} as const;
export type CollectionKind = keyof typeof collectionPaths;
