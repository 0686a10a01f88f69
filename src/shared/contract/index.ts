// The console contract: channels (domain:verb) with request/response schemas, events, errors.
export * from './errors.js';
export * from './names.js';
export * from './registry.js';
export * from './wire.js';
export * from './client.js';
export * from './kubeconfig.js';
export * from './cluster.js';
export * from './watch.js';
export * from './agents.js';
export * from './install.js';
export * from './status.js';
