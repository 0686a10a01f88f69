// The agent's entry to the datapath: everything of agent/native the agent imports.
// API described in ./README.md.
export * as abi from './abi';
export { BpfMap, BpfObjectFile, MapType, type Codec, type MapPressure, type UpdateFlag } from './bpf';
export { defineStruct, ipv4ToNumber, numberToIpv4, isIpv4, CodecError, type StructCodec } from './codec';
export { DEFAULT_MAP_SIZES, encodeConfig, resolveMapSizes, ConfigError, type DatapathConfig, type MapSizes } from './config';
export {
  Datapath, ALL_OBJECTS, CGROUP_HOOKS, TC_HANDLE, TC_PRIORITY, defaultObjectDir,
  type AttachOptions, type DatapathMaps, type DatapathOptions, type DropCounter, type ObjectName,
} from './datapath';
export { BpfError } from './errors';
export {
  FlowEventReader, decodeBatch, drainFlowEvents, splitRecords, toFlowEvent, monotonicToWallClock,
  type FlowEndpoint, type FlowEvent, type FlowEventReaderOptions,
} from './events';
export {
  PolicyTable, compilePolicy, diffPolicy, portRangeToPrefixes, validatePolicyEntry, policyKeyId, PolicyError,
  type PolicyDiff, type PolicyEntry, type PolicyMapEntry,
} from './policy';
export {
  ServiceTable, serviceEntries, validateService, frontendKey, ServiceError,
  type RealizedService, type ServiceBackend, type ServiceEntries, type ServiceFrontend, type ServiceMaps, type ServiceSpec, type ServiceProtocol,
} from './services';
export { EndpointTable, IpcacheTable, cidrKey, type EndpointSpec } from './tables';
export { ifIndex } from './netif';
