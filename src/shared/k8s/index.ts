// Public entry of src/shared/k8s: Kubernetes resource types, label selectors, security labels
// of a pod, reserved identity numbers and IPv4/CIDR helpers. Pure TypeScript.
export * from './types.js';
export * from './validation.js';
export * from './selector.js';
export * from './ip.js';
export * from './identity.js';
export * from './security-labels.js';
export * from './pod.js';
export * from './paths.js';
