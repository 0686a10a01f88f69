// The two CustomResourceDefinitions the agent uses: Identity (cluster-scoped, immutable labels) and LumenEndpoint (namespaced, status written by the agent), with OpenAPI schemas and printer columns.
import { EndpointHealthSchema, EnforcementSchema } from '../src/shared/agent-api/index.js';
import type { K8sObject } from './types.js';

export const LUMEN_GROUP = 'lumen.dev';
export const LUMEN_VERSION = 'v1';

const labelsMap = { type: 'object', additionalProperties: { type: 'string' } };

export function identityCrd(meta: K8sObject['metadata']): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { ...meta, name: `identities.${LUMEN_GROUP}` },
    spec: {
      group: LUMEN_GROUP,
      scope: 'Cluster',
      names: { plural: 'identities', singular: 'identity', kind: 'Identity', listKind: 'IdentityList', shortNames: ['lid'], categories: ['lumen'] },
      versions: [{
        name: LUMEN_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A cluster-wide security identity: the object name is the numeric id, spec.labels the security labels it stands for.',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['labels'],
                // A label set maps to one number for life; agents rely on it, so the API refuses changes.
                'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'identity labels are immutable' }],
                properties: {
                  labels: { ...labelsMap, description: 'Security labels: pod labels and ns:<namespace label>.' },
                },
              },
            },
          },
        },
        additionalPrinterColumns: [
          { name: 'Labels', type: 'string', jsonPath: '.spec.labels', description: 'Security labels' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  };
}

export function lumenEndpointCrd(meta: K8sObject['metadata']): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { ...meta, name: `lumenendpoints.${LUMEN_GROUP}` },
    spec: {
      group: LUMEN_GROUP,
      scope: 'Namespaced',
      names: { plural: 'lumenendpoints', singular: 'lumenendpoint', kind: 'LumenEndpoint', listKind: 'LumenEndpointList', shortNames: ['lep'], categories: ['lumen'] },
      versions: [{
        name: LUMEN_VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: "A pod's datapath state on its node, written by that node's agent. Same name as the pod, owned by it.",
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              status: {
                type: 'object',
                properties: {
                  id: { type: 'integer', minimum: 0, description: 'Endpoint id in the datapath (policy key).' },
                  node: { type: 'string' },
                  ips: { type: 'array', items: { type: 'string' } },
                  interface: { type: 'string', description: 'Host-side veth.' },
                  containerId: { type: 'string' },
                  identity: {
                    type: 'object',
                    properties: { id: { type: 'integer', minimum: 0 }, labels: labelsMap },
                  },
                  enforcement: {
                    type: 'object',
                    properties: {
                      ingress: { type: 'string', enum: [...EnforcementSchema.options] },
                      egress: { type: 'string', enum: [...EnforcementSchema.options] },
                    },
                  },
                  policyRevision: { type: 'integer', minimum: 0, description: 'Policy revision realized in the maps.' },
                  health: { type: 'string', enum: [...EndpointHealthSchema.options] },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
        additionalPrinterColumns: [
          { name: 'Endpoint ID', type: 'integer', jsonPath: '.status.id' },
          { name: 'Identity', type: 'integer', jsonPath: '.status.identity.id' },
          { name: 'Node', type: 'string', jsonPath: '.status.node' },
          { name: 'IPv4', type: 'string', jsonPath: '.status.ips[0]' },
          { name: 'Ingress', type: 'string', jsonPath: '.status.enforcement.ingress', description: 'Ingress policy enforcement' },
          { name: 'Egress', type: 'string', jsonPath: '.status.enforcement.egress', description: 'Egress policy enforcement' },
          { name: 'Health', type: 'string', jsonPath: '.status.health' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  };
}
