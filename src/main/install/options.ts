// Install options: defaults from preflight facts (flavour, kube-proxy, an existing install), validation naming each bad option, and the agent config they become.
import { ConfigError, configKeys, defaultConfig, parseConfigData, type AgentConfig } from '../../../agent/src/config.js';
import { AGENT_NAMESPACE } from '../../shared/agent-api/index.js';
import type { InstallOptionName, InstallOptions } from '../../shared/contract/index.js';
import { InstallOptions as InstallOptionsSchema } from '../../shared/contract/index.js';
import { DEFAULT_IMAGE, LUMEN_VERSION } from '../../../resources/manifests.js';
import { nodeAddress, type FlavourResult, type NodeLike } from './preflight/flavour.js';
import { PROTECTED_NAMESPACES } from './resources.js';

export const LAB_CHECK_IMAGES = { echo: 'lumen.dev/lab/echo:1', client: 'lumen.dev/lab/client:1' } as const;
/** Elsewhere the check's images must be built from test/lab/programs and pushed (docs/INSTALL.md). */
export const CHECK_IMAGES = { echo: `ghcr.io/lumen-dev/check-echo:${LUMEN_VERSION}`, client: `ghcr.io/lumen-dev/check-client:${LUMEN_VERSION}` } as const;
export const DEFAULT_ROLLOUT_TIMEOUT_SECONDS = 300;

/** Option → the agent ConfigMap key it sets (the rest of the options shape the manifests). */
const optionKeys = {
  kubeProxyReplacement: configKeys.kubeProxyReplacement.key,
  socketLB: configKeys.socketLB.key,
  policyEnforcement: configKeys.policyEnforcement.key,
  auditNamespaces: configKeys.auditNamespaces.key,
  flowBufferSize: configKeys.flowBufferSize.key,
} as const satisfies Partial<Record<InstallOptionName, string>>;
/** Keys the engine owns: node-port follows kube-proxy replacement; cleanup-on-exit is uninstall's. */
const reservedKeys = new Set<string>([...Object.values(optionKeys), configKeys.nodePort.key, configKeys.cleanupOnExit.key]);

export interface ExistingConfig {
  namespace: string;
  image: string | null;
  imagePullPolicy: string | null;
  apiServer: string | null;
  configData: Record<string, string> | null;
}

export interface DefaultsInput {
  flavour: FlavourResult;
  kubeProxyPresent: boolean;
  /** API server address for the agents (from the kubernetes EndpointSlice, else the kubeconfig's). */
  apiServer: string;
  nodes: readonly NodeLike[];
  serviceCIDRs: readonly string[];
  existing: ExistingConfig | null;
}

const subnet24 = (ip: string): string => ip.replace(/\.\d+$/, '.0/24');

/**
 * The lab's pods must not get a default route (no lab namespace may reach outside), so the
 * agent installs routes to the lab's ranges only; the lab's address plan (docs/ARCHITECTURE.md)
 * gives each node a /24 of one /16 cluster CIDR.
 */
export function labExtraConfig(nodes: readonly NodeLike[], serviceCIDRs: readonly string[]): { config: Record<string, string>; notes: string[] } {
  const podCIDR = nodes.map((n) => n.spec?.podCIDR ?? n.spec?.podCIDRs?.[0]).find((c): c is string => !!c);
  const address = nodes.map(nodeAddress).find((a): a is string => !!a);
  const cidrs: string[] = [];
  if (podCIDR) cidrs.push(podCIDR.replace(/^(\d+\.\d+)\.\d+\.\d+\/\d+$/, '$1.0.0/16'));
  cidrs.push(...serviceCIDRs.filter((c) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c)));
  if (address) cidrs.push(subnet24(address));
  const config: Record<string, string> = {};
  if (cidrs.length > 0) {
    config[configKeys.podRoutes.key] = 'restricted';
    config[configKeys.podRouteCidrs.key] = [...new Set(cidrs)].join(',');
  }
  return { config, notes: [`Pod routes restricted to ${cidrs.join(', ') || '(nothing found: pods get a default route)'}.`] };
}

/** Options an existing install runs with (an upgrade keeps them unless the user changes them). */
function fromExisting(existing: ExistingConfig, base: InstallOptions): InstallOptions {
  let config: AgentConfig | null = null;
  const extra: Record<string, string> = {};
  if (existing.configData) {
    try {
      config = parseConfigData(existing.configData, `ConfigMap of the install in ${existing.namespace}`);
      const defaults = defaultConfig() as unknown as Record<string, unknown>;
      const current = config as unknown as Record<string, unknown>;
      for (const [field, spec] of Object.entries(configKeys)) {
        if (reservedKeys.has(spec.key)) continue;
        if (JSON.stringify(current[field]) !== JSON.stringify(defaults[field])) extra[spec.key] = existing.configData[spec.key] ?? '';
      }
    } catch {
      // A ConfigMap the agent itself would refuse: start from the flavour's defaults.
    }
  }
  return {
    ...base,
    namespace: existing.namespace,
    image: existing.image ?? base.image,
    imagePullPolicy: (['Always', 'IfNotPresent', 'Never'] as const).find((p) => p === existing.imagePullPolicy) ?? base.imagePullPolicy,
    apiServer: existing.apiServer ?? base.apiServer,
    ...(config ? {
      kubeProxyReplacement: config.kubeProxyReplacement,
      socketLB: config.socketLB,
      policyEnforcement: config.policyEnforcement,
      auditNamespaces: config.auditNamespaces,
      flowBufferSize: config.flowBufferSize,
      extraConfig: { ...base.extraConfig, ...extra },
    } : {}),
  };
}

/** Defaults and the sentences that explain them (shown under the flavour check). */
export function defaultOptions(input: DefaultsInput): { options: InstallOptions; notes: string[] } {
  const agent = defaultConfig();
  const lab = input.flavour.flavour === 'lab';
  const notes: string[] = [];
  let extraConfig: Record<string, string> = {};
  if (lab) {
    const l = labExtraConfig(input.nodes, input.serviceCIDRs);
    extraConfig = l.config;
    notes.push(...l.notes);
  }
  const replace = !input.kubeProxyPresent;
  notes.push(replace ? 'Default: Lumen replaces kube-proxy (none runs).' : 'Default: keep kube-proxy (it runs); switch to "replace" in Options if you want Lumen to serve Services.');
  notes.push(`Agents reach the API server at ${input.apiServer}.`);
  const base: InstallOptions = {
    namespace: AGENT_NAMESPACE,
    image: DEFAULT_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    kubeProxyReplacement: replace,
    socketLB: replace,
    policyEnforcement: agent.policyEnforcement,
    auditNamespaces: [],
    flowBufferSize: agent.flowBufferSize,
    apiServer: input.apiServer,
    checkEchoImage: lab ? LAB_CHECK_IMAGES.echo : CHECK_IMAGES.echo,
    checkClientImage: lab ? LAB_CHECK_IMAGES.client : CHECK_IMAGES.client,
    extraConfig,
    rolloutTimeoutSeconds: DEFAULT_ROLLOUT_TIMEOUT_SECONDS,
  };
  if (input.existing) {
    notes.push(`Upgrade: options start from what the install in ${input.existing.namespace} runs with.`);
    return { options: fromExisting(input.existing, base), notes };
  }
  return { options: base, notes };
}

export class OptionError extends Error {
  override readonly name = 'OptionError';
  constructor(readonly errors: Partial<Record<InstallOptionName, string>>) {
    super(`invalid install options: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  }
}

const optionByKey = new Map<string, InstallOptionName>(Object.entries(optionKeys).map(([o, k]) => [k, o as InstallOptionName]));

/** The agent config the options stand for, validated exactly as the agent validates its ConfigMap. */
export function agentConfigOf(options: InstallOptions): AgentConfig {
  const errors: Partial<Record<InstallOptionName, string>> = {};
  const reserved = Object.keys(options.extraConfig).filter((k) => reservedKeys.has(k));
  if (reserved.length > 0) errors.extraConfig = `${reserved.map((k) => `"${k}"`).join(', ')} ${reserved.length === 1 ? 'is' : 'are'} set by ${reserved.some((k) => k === configKeys.cleanupOnExit.key) ? 'the uninstall' : 'its own option'}, not as extra config`;
  const data: Record<string, string> = {
    ...options.extraConfig,
    [optionKeys.kubeProxyReplacement]: String(options.kubeProxyReplacement),
    [configKeys.nodePort.key]: String(options.kubeProxyReplacement),
    [optionKeys.socketLB]: String(options.socketLB),
    [optionKeys.policyEnforcement]: options.policyEnforcement,
    [optionKeys.auditNamespaces]: options.auditNamespaces.join(','),
    [optionKeys.flowBufferSize]: String(options.flowBufferSize),
  };
  let config: AgentConfig | null = null;
  try {
    config = parseConfigData(data, 'install options');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems) {
      const option = optionByKey.get(p.key) ?? 'extraConfig';
      const text = `${option === 'extraConfig' ? `key "${p.key}": ` : ''}${p.message}${p.value !== undefined && option === 'extraConfig' ? ` (got ${JSON.stringify(p.value)})` : ''}`;
      errors[option] = errors[option] ? `${errors[option]}; ${text}` : text;
    }
  }
  if (Object.keys(errors).length > 0 || !config) throw new OptionError(errors);
  return config;
}

export interface NamespaceFacts {
  /** null: it does not exist. */
  labels: Record<string, string> | null;
}

/** Every problem with the options, by option; empty when they can be installed. */
export function validateOptions(raw: unknown, namespace: NamespaceFacts | null): { options: InstallOptions | null; errors: Partial<Record<InstallOptionName, string>> } {
  const parsed = InstallOptionsSchema.safeParse(raw);
  const errors: Partial<Record<InstallOptionName, string>> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = (issue.path[0] as InstallOptionName | undefined) ?? 'namespace';
      errors[field] ??= issue.message;
    }
    return { options: null, errors };
  }
  const options = parsed.data;
  if (PROTECTED_NAMESPACES.has(options.namespace)) errors.namespace = `${options.namespace} is a system namespace; uninstall deletes the install namespace, so use a dedicated one (e.g. ${AGENT_NAMESPACE})`;
  else if (namespace?.labels && namespace.labels['app.kubernetes.io/part-of'] !== 'lumen') errors.namespace = `namespace ${options.namespace} already exists and was not made by Lumen; uninstall deletes the install namespace, so pick a new one`;
  try {
    const url = new URL(options.apiServer);
    if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '')) errors.apiServer = 'expected https://<host>:<port> without a path';
  } catch {
    errors.apiServer = 'not a URL (expected https://<host>:<port>)';
  }
  if (/\s/.test(options.image)) errors.image = 'an image reference has no spaces';
  try {
    agentConfigOf(options);
  } catch (error) {
    if (error instanceof OptionError) Object.assign(errors, { ...error.errors, ...errors });
    else throw error;
  }
  return { options: Object.keys(errors).length === 0 ? options : null, errors };
}
