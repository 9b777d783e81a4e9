/** One gauge and its label names. */
export interface GaugeDefinition {
  name: string;
  help: string;
  labelNames: string[];
}

/** One gauge with its samples. */
export interface GaugeFamily extends GaugeDefinition {
  samples: { labels: Record<string, string>; value: number }[];
}
