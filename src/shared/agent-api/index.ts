// The agent API as data (wire types + zod schemas): status, services (desired vs realized + drift), endpoints, identities, policy, routes. Shared by agent, CLI and console; named agent-api because lint reserves **/agent/** for the daemon.
export * from './status.js';
export * from './services.js';
export * from './endpoints.js';
export * from './routes.js';
