// Writes file-backed volumes (configMap, secret, projected, downwardAPI) the way a
// kubelet's atomic writer does: a timestamped dir, a ..data symlink swapped atomically,
// and top-level entries that link through ..data, so readers never see a half update.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VolumeFile } from './volumes';

export function writeAtomically(dir: string, files: VolumeFile[]): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const staged = join(dir, stamp);
  mkdirSync(staged, { mode: 0o755 });
  for (const f of files) {
    const path = join(staged, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
  }
  const previous = existsSync(join(dir, '..data')) ? readlinkSync(join(dir, '..data')) : undefined;
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  const top = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join('..data', name), link);
  }
  // Entries that no longer exist in the new data disappear, like the kubelet's writer.
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..')) continue;
    if (!top.has(name)) rmSync(join(dir, name), { force: true, recursive: true });
  }
  if (previous && previous !== stamp) rmSync(join(dir, previous), { recursive: true, force: true });
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
