// The console's client for lumen-agents: discovery per node, token from the install's Secret (main only), pod-proxy calls validated with the agent API schemas, flow following, fan-out.
export { AgentsClient, TOKEN_SECRET, TOKEN_SECRET_KEY, type AgentNode, type AgentResult, type AgentsClientOptions, type CallOptions, type FollowOptions } from './client.js';
export { agentsOf, connectedHttp, type ConnectedServices } from './connected.js';
export { AGENT_POD_LABELS, AGENT_POD_SELECTOR, agentPodsByNode, callable, toAgentPod, type AgentPod, type AgentPodObject } from './discovery.js';
export { AgentError, agentFailures, classifyAgentError, type AgentFailure } from './errors.js';
export { agentResultWire, type AgentResultWire } from './wire.js';
