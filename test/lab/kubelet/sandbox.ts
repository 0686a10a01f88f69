// Pod sandboxes: the pod's network namespace and its network, set up and torn down by
// calling the CNI plugins of the node's current config inside the node's namespaces.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { podNetnsName, type NodePlan } from '../lib/layout';
import { nsArgv, run } from '../lib/proc';
import {
  addCall, CniError, interpretPluginOutput, loadNetworkConfig, LOOPBACK_LIST, plannedCalls, podIPsFromResult,
  type CniCall, type CniCommand, type CniNetworkList, type CniResult, type CniRuntime,
} from './cni';

export const NODE_CNI_PATH = '/opt/cni/bin';

export interface SandboxNetwork {
  netnsName: string;
  netns: string;
  podIPs: string[];
  cni: { file: string; list: CniNetworkList; result: CniResult; containerId: string };
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

async function callPlugin(node: NodePlan, command: CniCommand, call: CniCall): Promise<CniResult | undefined> {
  if (!existsSync(join(node.root, 'opt/cni/bin', call.plugin))) {
    throw new CniError(call.plugin, command, undefined, `failed to find plugin "${call.plugin}" in path [${NODE_CNI_PATH}]`);
  }
  // Plugins run in the node's netns and mount namespace: they see the node's CNI dirs
  // and change forwarding settings of the node, never of the host.
  const res = await run(nsArgv({ netns: node.netns, mntns: node.mntns, cgroup: join(node.cgroup, 'system') }, [`${NODE_CNI_PATH}/${call.plugin}`]), {
    env: call.env,
    input: call.stdin,
    allowFail: true,
    timeoutMs: 60_000,
  });
  return interpretPluginOutput(call.plugin, command, res.code, res.stdout, res.stderr);
}

function runtimeFor(pod: PodRef, netns: string, containerId: string, ifName: string): CniRuntime {
  return { containerId, netns, ifName, podNamespace: pod.namespace, podName: pod.name, podUid: pod.uid, cniPath: NODE_CNI_PATH };
}

/** ADD through every plugin of the list, chaining prevResult. */
export async function cniAdd(node: NodePlan, list: CniNetworkList, rt: CniRuntime): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (let i = 0; i < list.plugins.length; i++) {
    prev = await callPlugin(node, 'ADD', addCall(list, i, rt, prev));
  }
  return prev ?? {};
}

export async function cniDelOrCheck(node: NodePlan, command: 'DEL' | 'CHECK', list: CniNetworkList, rt: CniRuntime, cached?: CniResult): Promise<void> {
  for (const call of plannedCalls(command, list, rt, cached)) await callPlugin(node, command, call);
}

/**
 * Creates the pod netns and attaches it with the network config the node has now (the
 * lexicographically first file in its CNI config dir). On failure everything is undone
 * and the CNI error, with the plugin's message, is thrown.
 */
export async function createSandbox(instance: number, node: NodePlan, pod: PodRef): Promise<SandboxNetwork> {
  const confDir = join(node.root, 'etc/cni/net.d');
  let conf: ReturnType<typeof loadNetworkConfig>;
  try {
    conf = loadNetworkConfig(confDir);
  } catch (e) {
    throw new Error(`network plugin not ready: ${(e as Error).message}`, { cause: e });
  }
  if (!conf) throw new Error('network plugin not ready: no CNI configuration in /etc/cni/net.d of the node');
  const netnsName = podNetnsName(instance, pod.uid);
  const netns = `/run/netns/${netnsName}`;
  const containerId = pod.uid.replace(/-/g, '');
  await run(['ip', 'netns', 'add', netnsName]);
  const main = runtimeFor(pod, netns, containerId, 'eth0');
  const lo = runtimeFor(pod, netns, containerId, 'lo');
  let added = false;
  try {
    await cniAdd(node, LOOPBACK_LIST, lo);
    added = true;
    const result = await cniAdd(node, conf.list, main);
    const podIPs = podIPsFromResult(result);
    if (!podIPs.length) throw new CniError(conf.list.plugins.at(-1)!.type, 'ADD', undefined, `result has no IP for eth0: ${JSON.stringify(result)}`);
    return { netnsName, netns, podIPs, cni: { file: conf.file, list: conf.list, result, containerId } };
  } catch (e) {
    // Like a runtime after a failed ADD: DEL what may have been set up, drop the netns.
    if (added) await cniDelOrCheck(node, 'DEL', conf.list, main).catch(() => undefined);
    await run(['ip', 'netns', 'del', netnsName], { allowFail: true });
    throw e;
  }
}

/** DEL with the config and result cached at ADD time (the node's current config may have changed since). */
export async function destroySandbox(node: NodePlan, pod: PodRef, sb: Pick<SandboxNetwork, 'netnsName' | 'netns' | 'cni'>): Promise<string[]> {
  const errors: string[] = [];
  await cniDelOrCheck(node, 'DEL', sb.cni.list, runtimeFor(pod, sb.netns, sb.cni.containerId, 'eth0'), sb.cni.result).catch((e: Error) => errors.push(e.message));
  await cniDelOrCheck(node, 'DEL', LOOPBACK_LIST, runtimeFor(pod, sb.netns, sb.cni.containerId, 'lo')).catch((e: Error) => errors.push(e.message));
  await run(['ip', 'netns', 'del', sb.netnsName], { allowFail: true });
  return errors;
}

export async function checkSandbox(node: NodePlan, pod: PodRef, sb: Pick<SandboxNetwork, 'netns' | 'cni'>): Promise<void> {
  await cniDelOrCheck(node, 'CHECK', sb.cni.list, runtimeFor(pod, sb.netns, sb.cni.containerId, 'eth0'), sb.cni.result);
}
