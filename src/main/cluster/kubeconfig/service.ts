// Loads every kubeconfig file, keeps the merged view current by watching the files, emits changes.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KubeconfigFileError, KubeconfigState } from '../../../shared/contract/index.js';
import { logger } from '../../log.js';
import type { ExecCredentials } from '../exec.js';
import { kubeconfigPaths, mergeKubeconfigs, type MergedKubeconfig } from './merge.js';
import { parseKubeconfigText, type ParsedKubeconfig } from './parse.js';
import { summarizeContexts } from './summary.js';

const log = logger('cluster:kubeconfig');

export interface LoadedKubeconfig {
  state: KubeconfigState;
  merged: MergedKubeconfig;
}

export interface KubeconfigOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  exec: ExecCredentials;
}

function readError(file: string, error: unknown): KubeconfigFileError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : error instanceof Error ? error.message : String(error);
  return { file, message: `cannot read the file: ${why}`, line: null, column: null };
}

/** One full load: read, parse, merge and summarise; never throws for bad files. */
export async function loadKubeconfig(options: KubeconfigOptions): Promise<LoadedKubeconfig> {
  const { paths, source } = kubeconfigPaths(options.env ?? process.env, options.home ?? os.homedir());
  const files: KubeconfigState['files'] = [];
  const errors: KubeconfigFileError[] = [];
  const parsed: ParsedKubeconfig[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      files.push({ path: file, exists: !missing });
      // kubectl skips KUBECONFIG entries that do not exist; so do we, silently.
      if (!missing) errors.push(readError(file, error));
      continue;
    }
    files.push({ path: file, exists: true });
    const result = parseKubeconfigText(file, text);
    errors.push(...result.errors);
    if (result.config) parsed.push(result.config);
  }
  const merged = mergeKubeconfigs(parsed);
  const contexts = await summarizeContexts(merged, options.exec);
  return {
    merged,
    state: { files, source, currentContext: merged.currentContext, contexts, errors, loadedAt: Date.now() },
  };
}

function sameState(a: KubeconfigState, b: KubeconfigState): boolean {
  return JSON.stringify({ ...a, loadedAt: 0 }) === JSON.stringify({ ...b, loadedAt: 0 });
}

/** The kubeconfig as it is now, reloaded when any of its files (or their directories) change. */
export class KubeconfigService {
  private loaded: Promise<LoadedKubeconfig> | undefined;
  private readonly listeners = new Set<(state: KubeconfigState) => void>();
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private disposed = false;
  private loadSeq = 0;

  constructor(private readonly options: KubeconfigOptions & { debounceMs?: number; watchFiles?: boolean }) {}

  current(): Promise<LoadedKubeconfig> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  async reload(): Promise<KubeconfigState> {
    const previous = this.loaded ? await this.loaded.catch(() => undefined) : undefined;
    const next = this.load();
    this.loaded = next;
    const loaded = await next;
    if (!previous || !sameState(previous.state, loaded.state)) {
      for (const listener of [...this.listeners]) listener(loaded.state);
    }
    return loaded.state;
  }

  onChange(listener: (state: KubeconfigState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.listeners.clear();
  }

  private async load(): Promise<LoadedKubeconfig> {
    const seq = ++this.loadSeq;
    const loaded = await loadKubeconfig(this.options);
    log.info(`loaded ${loaded.state.contexts.length} contexts from ${loaded.state.files.filter((f) => f.exists).length} files`, {
      errors: loaded.state.errors.length,
    });
    if (seq === this.loadSeq && this.options.watchFiles !== false) this.rewatch(loaded.state.files.map((f) => f.path));
    return loaded;
  }

  /**
   * Watches each file and its directory: editors and kubectl replace files by rename,
   * which a watch on the file alone misses, and some platforms report content changes
   * only on the file.
   */
  private rewatch(files: string[]): void {
    if (this.disposed) return;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const names = new Set(files.map((f) => path.basename(f)));
    const dirs = new Set(files.map((f) => path.dirname(f)));
    const trigger = () => this.schedule();
    for (const dir of dirs) {
      this.tryWatch(dir, (_event, name) => {
        if (!name || names.has(String(name))) trigger();
      });
    }
    for (const file of files) this.tryWatch(file, trigger);
  }

  private tryWatch(target: string, onEvent: (event: string, name: string | Buffer | null) => void): void {
    try {
      const w = watch(target, { persistent: false }, onEvent);
      w.on('error', (error) => log.debug(`watch on ${target} ended`, { error }));
      this.watchers.push(w);
    } catch (error) {
      // A missing file or directory: the directory watch (if any) sees it appear.
      log.debug(`cannot watch ${target}`, { error });
    }
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reload().catch((error) => log.error('reload after a file change failed', { error }));
    }, this.options.debounceMs ?? 150);
  }
}
