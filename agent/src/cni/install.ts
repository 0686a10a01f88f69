// Installs the CNI plugin binary and 05-lumen.conflist into the node's CNI directories
// (hostPath mounts), so the kubelet uses Lumen for every pod created afterwards.
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../log.js';

export const CONFLIST_NAME = '05-lumen.conflist';
export const PLUGIN_NAME = 'lumen-cni';

export interface CniInstallOptions {
  /** Source binary (the bundle's agent/cni/lumen-cni). */
  pluginSource: string;
  binDir: string;
  confDir: string;
  socketPath: string;
}

export function conflist(socketPath: string): string {
  return `${JSON.stringify({
    cniVersion: '1.0.0',
    name: 'lumen',
    plugins: [{ type: PLUGIN_NAME, socketPath }],
  }, null, 2)}\n`;
}

/** Copies via a temp name + rename so a kubelet never executes a half-written binary. */
export async function installCni(opts: CniInstallOptions): Promise<void> {
  await mkdir(opts.binDir, { recursive: true });
  await mkdir(opts.confDir, { recursive: true });
  const bin = join(opts.binDir, PLUGIN_NAME);
  const tmp = `${bin}.tmp-${process.pid}`;
  try {
    await copyFile(opts.pluginSource, tmp);
  } catch (err) {
    throw new Error(`cannot copy the CNI plugin from ${opts.pluginSource} (build it with npm run build:cni)`, { cause: err });
  }
  await rename(tmp, bin);
  const conf = join(opts.confDir, CONFLIST_NAME);
  const want = conflist(opts.socketPath);
  const have = await readFile(conf, 'utf8').catch(() => '');
  if (have !== want) {
    await writeFile(`${conf}.tmp`, want);
    await rename(`${conf}.tmp`, conf);
  }
  log.info('cni', `installed ${bin} and ${conf}`);
}

/** Uninstall: new pods fall back to whatever other conflist the node has. */
export async function uninstallCni(opts: Pick<CniInstallOptions, 'binDir' | 'confDir'>): Promise<void> {
  await rm(join(opts.confDir, CONFLIST_NAME), { force: true });
  await rm(join(opts.binDir, PLUGIN_NAME), { force: true });
}
