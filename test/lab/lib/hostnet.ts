// Host side of a lab's network: the lab bridge with the host/apiserver address, the
// firewall chain that keeps lab traffic on the bridge, and host routes to pod CIDRs.
import { run, type Log } from './proc';
import type { LabPlan } from './layout';

async function ipt(args: string[], allowFail = false): Promise<number> {
  return (await run(['iptables', '-w', '5', ...args], { allowFail })).code;
}

/** Creates the bridge (172.28.N.1/24) and the forwarding guard. Idempotent. */
export async function setupHostNetwork(plan: LabPlan, log: Log): Promise<void> {
  const exists = (await run(['ip', 'link', 'show', 'dev', plan.bridge], { allowFail: true })).code === 0;
  if (!exists) {
    await run(['ip', 'link', 'add', plan.bridge, 'type', 'bridge']);
  }
  await run(['ip', 'addr', 'replace', `${plan.bridgeIp}/24`, 'dev', plan.bridge]);
  await run(['ip', 'link', 'set', plan.bridge, 'up']);
  await installForwardGuard(plan);
  log(`bridge ${plan.bridge} ${plan.bridgeIp}/24 up; iptables chain ${plan.iptablesChain} drops forwarding off the bridge`);
}

/**
 * The host must never route lab traffic elsewhere. ip_forward stays 0 in the host, and
 * this chain says so again in the firewall: frames may be bridged between lab ports,
 * anything else forwarded to or from the bridge is dropped.
 */
async function installForwardGuard(plan: LabPlan): Promise<void> {
  const chain = plan.iptablesChain;
  const comment = ['-m', 'comment', '--comment', `lumen lab ${plan.instance}: no forwarding between the lab and other interfaces`];
  if ((await ipt(['-N', chain], true)) !== 0) await ipt(['-F', chain]);
  await ipt(['-A', chain, '-i', plan.bridge, '-o', plan.bridge, ...comment, '-j', 'ACCEPT']);
  await ipt(['-A', chain, ...comment, '-j', 'DROP']);
  for (const dir of ['-i', '-o']) {
    if ((await ipt(['-C', 'FORWARD', dir, plan.bridge, '-j', chain], true)) !== 0) {
      await ipt(['-I', 'FORWARD', '1', dir, plan.bridge, '-j', chain]);
    }
  }
}

/** Removes the chain and its jumps; tolerates any of them being gone already. */
export async function removeForwardGuard(instance: number): Promise<void> {
  const chain = `LUMEN-LAB${instance}`;
  const bridge = `llab${instance}br`;
  for (const dir of ['-i', '-o']) {
    for (let i = 0; i < 10; i++) {
      if ((await ipt(['-D', 'FORWARD', dir, bridge, '-j', chain], true)) !== 0) break;
    }
  }
  await ipt(['-F', chain], true);
  await ipt(['-X', chain], true);
}

export async function chainExists(instance: number): Promise<boolean> {
  return (await ipt(['-S', `LUMEN-LAB${instance}`], true)) === 0;
}

/** Host route to a node's pod CIDR through that node (host→pod traffic, e.g. apiserver→pod). */
export async function addHostPodRoute(plan: LabPlan, podCIDR: string, nodeIp: string): Promise<void> {
  await run(['ip', 'route', 'replace', podCIDR, 'via', nodeIp, 'dev', plan.bridge]);
}

export async function removeBridge(instance: number): Promise<void> {
  // Deleting the bridge also removes the host routes through it.
  await run(['ip', 'link', 'del', `llab${instance}br`], { allowFail: true });
}

export async function hostIpForward(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
}
