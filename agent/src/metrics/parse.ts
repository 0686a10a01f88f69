// A strict parser of the Prometheus text format (0.0.4), used by tests to prove /metrics is well-formed and by tools that read agent metrics.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const sampleRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/;
const labelRe = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, lineNo: number): Record<string, string> {
  const out: Record<string, string> = {};
  labelRe.lastIndex = 0;
  while (labelRe.lastIndex < text.length) {
    const m = labelRe.exec(text);
    if (!m) throw new Error(`line ${lineNo}: malformed labels {${text}}`);
    if (m[1]! in out) throw new Error(`line ${lineNo}: label ${m[1]} repeated`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}

function parseValue(v: string, lineNo: number): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (v === '' || Number.isNaN(n)) throw new Error(`line ${lineNo}: bad value ${JSON.stringify(v)}`);
  return n;
}

/** Parses and checks: TYPE before samples, samples belong to the declared family, histograms consistent. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('exposition must end with a newline');
  lines.slice(0, -1).forEach((line, i) => {
    const lineNo = i + 1;
    if (line.startsWith('# HELP ')) {
      const [, name, ...help] = line.split(' ').slice(1);
      if (!name) throw new Error(`line ${lineNo}: HELP without a name`);
      if (families.has(name)) throw new Error(`line ${lineNo}: family ${name} declared twice`);
      current = { name, type: 'untyped', help: help.join(' '), samples: [] };
      families.set(name, current);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!current || current.name !== name) throw new Error(`line ${lineNo}: TYPE ${name} without its HELP first`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`line ${lineNo}: unknown type ${type}`);
      current.type = type!;
      return;
    }
    if (line.startsWith('#') || line.trim() === '') return;
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`line ${lineNo}: not a sample: ${line}`);
    const name = m[1]!;
    const base = current?.type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
    if (!current || base !== current.name) throw new Error(`line ${lineNo}: sample ${name} outside its family`);
    current.samples.push({ name, labels: m[3] ? parseLabels(m[3], lineNo) : {}, value: parseValue(m[4]!, lineNo) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: MetricFamily): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (!count || !samples.some((s) => s.name.endsWith('_sum'))) throw new Error(`histogram ${f.name}: missing _sum or _count`);
    let prev = -Infinity;
    let prevCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? '', 0);
      if (!(le > prev) || b.value < prevCount) throw new Error(`histogram ${f.name}: buckets not cumulative/increasing at le=${b.labels.le}`);
      [prev, prevCount] = [le, b.value];
    }
    if (prev !== Infinity || prevCount !== count.value) throw new Error(`histogram ${f.name}: +Inf bucket must equal _count`);
  }
}
