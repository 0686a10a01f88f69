// Public entry of src/shared/services: Services + EndpointSlices -> desired frontends and
// backends (what the datapath should hold), table summaries, and an incremental index.
export * from './model.js';
export * from './summary.js';
export * from './store.js';
