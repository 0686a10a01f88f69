// The Flow record the agent serves and the console shows, and the flow filter language (parser + matcher).
export * from './flow.js';
export * from './filter.js';
