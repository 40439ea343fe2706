/** A tiny Prometheus text-format registry: counters and gauges, with labels. */

type Labels = Record<string, string>;

interface Series {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => number | { labels: Labels; value: number }[];
}

export interface Metrics {
  counter(name: string, help: string): (labels?: Labels, by?: number) => void;
  gauge(name: string, help: string, collect: () => number | { labels: Labels; value: number }[], type?: 'gauge' | 'counter'): void;
  render(): string;
}

/** A series' identity and its exposition text: labels in name order, values escaped. Runs per request. */
function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) {
    const value = labels[name];
    const escaped = /[\\"\n]/.test(value) ? value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n') : value;
    key += `${key ? ',' : ''}${name}="${escaped}"`;
  }
  return key;
}

export function createMetrics(): Metrics {
  const series = new Map<string, Series>();
  return {
    counter(name, help) {
      const s: Series = { help, type: 'counter', values: new Map() };
      series.set(name, s);
      return (labels = {}, by = 1) => {
        const key = labelKey(labels);
        const cur = s.values.get(key);
        if (cur) cur.value += by;
        else s.values.set(key, { labels, value: by });
      };
    },
    gauge(name, help, collect, type = 'gauge') {
      series.set(name, { help, type, values: new Map(), collect });
    },
    render() {
      const lines: string[] = [];
      for (const [name, s] of series) {
        lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
        const collected = s.collect?.();
        const rows =
          collected === undefined
            ? [...s.values.values()]
            : typeof collected === 'number'
              ? [{ labels: {}, value: collected }]
              : collected;
        if (rows.length === 0 && s.type === 'counter') lines.push(`${name} 0`);
        for (const { labels, value } of rows) {
          const key = labelKey(labels);
          lines.push(`${name}${key ? `{${key}}` : ''} ${value}`);
        }
      }
      return lines.join('\n') + '\n';
    },
  };
}
