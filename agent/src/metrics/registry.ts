// A small Prometheus registry: counters, gauges and histograms with labels, plus scrape-time collectors, rendered in the text exposition format 0.0.4.

export type Labels = Record<string, string>;

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelKey(names: readonly string[], labels: Labels | undefined, metric: string): string {
  const given = Object.keys(labels ?? {});
  if (given.length !== names.length || names.some((n) => labels?.[n] === undefined)) {
    throw new Error(`metric ${metric}: expected labels {${names.join(', ')}}, got {${given.join(', ')}}`);
  }
  return names.map((n) => labels![n]).join('\u0000');
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {
    if (!nameRe.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!labelRe.test(l) || l === 'le') throw new Error(`metric ${name}: invalid label name "${l}"`);
  }
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join('\n');
  }
}

class Valued extends Metric {
  protected readonly values = new Map<string, { labels: string[]; value: number }>();
  constructor(readonly type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames);
  }
  protected slot(labels?: Labels): { labels: string[]; value: number } {
    const key = labelKey(this.labelNames, labels, this.name);
    let s = this.values.get(key);
    if (!s) {
      s = { labels: this.labelNames.map((n) => labels![n]!), value: 0 };
      this.values.set(key, s);
    }
    return s;
  }
  /** Drops every series (a gauge refilled at each scrape from current state). */
  reset(): void {
    this.values.clear();
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels, this.name))?.value ?? 0;
  }
  samples(): string[] {
    if (this.values.size === 0 && this.labelNames.length === 0) return [`${this.name} 0`];
    return [...this.values.values()].map((s) => `${this.name}${renderLabels(this.labelNames, s.labels)} ${formatValue(s.value)}`);
  }
}

export class Counter extends Valued {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super('counter', name, help, labelNames);
  }
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${by}`);
    this.slot(labels).value += by;
  }
  /** Sets from an absolute counter kept elsewhere (kernel counters, FlowStore); never goes down. */
  setTotal(labels: Labels | undefined, total: number): void {
    const s = this.slot(labels);
    if (total > s.value) s.value = total;
  }
}

export class Gauge extends Valued {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super('gauge', name, help, labelNames);
  }
  set(labels: Labels | undefined, value: number): void {
    this.slot(labels).value = value;
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  private readonly series = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, readonly buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`histogram ${name}: buckets must be increasing`);
  }
  observe(labels: Labels | undefined, value: number): void {
    const key = labelKey(this.labelNames, labels, this.name);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: this.labelNames.map((n) => labels![n]!), counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  samples(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${renderLabels(this.labelNames, s.labels, ['le', formatValue(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${renderLabels(this.labelNames, s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${renderLabels(this.labelNames, s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${renderLabels(this.labelNames, s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  private readonly collectors: (() => void | Promise<void>)[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  /** Runs before every render (refreshes gauges from current state). */
  addCollector(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const c of this.collectors) await c();
    return this.metrics.map((m) => m.render()).join('\n') + '\n';
  }
}

/** Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
