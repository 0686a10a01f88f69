// The lab's image table: which local program an image reference runs. Anything not in
// the table fails like an image that cannot be pulled.
import { basename } from 'node:path';
import type { Container } from './types';

export interface ImageContext {
  /** Repo checkout (for dist/agent/lumen-agent.mjs). */
  repoRoot: string;
  /** Node binary that runs our programs and the agent. */
  node: string;
  /** Lab bin dir with the bundled programs and wrappers (echo-server, client). */
  binDir: string;
}

export type ImageResolution =
  | { ok: true; kind: ImageKind; argv: string[]; env: Record<string, string>; requiresFile?: { path: string; hint: string } }
  | { ok: false; reason: 'ErrImagePull' | 'InvalidImageName'; message: string };

export type ImageKind = 'lumen-agent' | 'echo' | 'client';

export const MAPPED_IMAGES_TEXT = 'images whose repository ends in "lumen-agent", lumen.dev/lab/echo:* and lumen.dev/lab/client:*';

/** Splits "host/path/name:tag@sha256:..." into its repository path (without tag or digest). */
export function imageRepository(image: string): string {
  let ref = image.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) ref = ref.slice(0, colon);
  return ref;
}

export function imageKind(image: string): ImageKind | undefined {
  const repo = imageRepository(image);
  if (repo === 'lumen-agent' || repo.endsWith('/lumen-agent')) return 'lumen-agent';
  if (repo === 'lumen.dev/lab/echo') return 'echo';
  if (repo === 'lumen.dev/lab/client') return 'client';
  return undefined;
}

/** ECHO_PORTS from the declared container ports: "8080,8080/udp" (TCP ports also speak HTTP). */
export function echoPortsFromSpec(container: Container): string {
  const ports = (container.ports ?? [])
    .filter((p) => (p.protocol ?? 'TCP') !== 'SCTP')
    .map((p) => ((p.protocol ?? 'TCP') === 'UDP' ? `${p.containerPort}/udp` : String(p.containerPort)));
  return ports.join(',');
}

/**
 * Resolves a container's argv the way a runtime combines an image's ENTRYPOINT/CMD with
 * the pod's command/args: command replaces the entrypoint, args replace the default cmd.
 */
export function resolveImage(container: Container, ctx: ImageContext): ImageResolution {
  if (!container.image?.trim()) return { ok: false, reason: 'InvalidImageName', message: `container "${container.name}" has no image` };
  const kind = imageKind(container.image);
  if (!kind) {
    return {
      ok: false,
      reason: 'ErrImagePull',
      message: `Failed to pull image "${container.image}": the Lumen lab runs no registry images; it maps only ${MAPPED_IMAGES_TEXT}`,
    };
  }
  const agentFile = `${ctx.repoRoot}/dist/agent/lumen-agent.mjs`;
  const table: Record<ImageKind, { entrypoint: string[]; cmd: string[]; aliases: Record<string, string[]> }> = {
    'lumen-agent': { entrypoint: [ctx.node, agentFile], cmd: [], aliases: { 'lumen-agent': [ctx.node, agentFile] } },
    echo: { entrypoint: [`${ctx.binDir}/echo-server`], cmd: [], aliases: {} },
    client: { entrypoint: [`${ctx.binDir}/client`], cmd: ['idle'], aliases: {} },
  };
  const image = table[kind];
  let argv: string[];
  if (container.command?.length) {
    const [first, ...rest] = container.command;
    // The agent image's real entrypoint is a lumen-agent binary; map that name to the build.
    const alias = image.aliases[basename(first!)];
    argv = [...(alias ?? [first!]), ...rest, ...(container.args ?? [])];
  } else {
    argv = [...image.entrypoint, ...(container.args ?? image.cmd)];
  }
  const env: Record<string, string> = {};
  if (kind === 'echo') {
    const ports = echoPortsFromSpec(container);
    if (ports) env.ECHO_PORTS = ports;
  }
  const usesAgent = argv.includes(agentFile);
  return {
    ok: true,
    kind,
    argv,
    env,
    ...(usesAgent ? { requiresFile: { path: agentFile, hint: `${agentFile} is missing: build the agent with \`npm run build:agent\`` } } : {}),
  };
}
