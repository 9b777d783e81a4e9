// The example's HTML report: one self-contained page (inline CSS and SVG, no scripts, no CDN).
import type { ClassificationReport } from '@mlops/core/metrics';
import type { DriftReport } from '@mlops/drift';
import { barChart, confusionHeatmap, driftFigures, esc } from '@mlops/example-kit';
import type { GateComparison } from '@mlops/registry';

/** Accuracy of one replayed stream: estimated from the served probabilities before labels, realized after feedback. */
export interface EstimateRow {
  stream: string;
  n: number;
  estimated: number;
  lower: number;
  upper: number;
  realized: number;
}

/** Everything the report shows. */
export interface ReportInput {
  quick: boolean;
  versions: Record<string, string>;
  validation: { rows: number; quarantined: number; ran: string[]; skipped: string[] };
  topic: {
    model: string;
    version: number;
    C: number;
    report: ClassificationReport;
    trials: { C: number; macroF1: number }[];
    parity: { rows: number; maxAbsDiff: number; labelMismatches: number };
  };
  /** The topic model's calibrator, fitted on held-out tickets and stored in its package metadata. */
  calibration?: { rows: number; method: string; ece: { before: number; after: number } };
  /** Estimated (before labels) vs realized (after feedback) accuracy per replayed stream. */
  estimates?: EstimateRow[];
  urgency: {
    model: string;
    version: number;
    report: ClassificationReport;
    rareCodes: { code: string; tickets: number; recall: number }[];
    byType: Record<string, number>;
    promoted: boolean;
  };
  liveDrift: DriftReport;
  shiftedDrift: DriftReport;
  retrainStatus: string;
  /** What the continuous-training gate compared: both models' figures on the same tickets. */
  retrainComparison?: GateComparison | null;
  rolledBackTo: number | undefined;
  triageExample: unknown;
}

/** `test statistic, p-value or distance (threshold) [drifted]` of one column of a drift report. */
export function describeColumn(d: DriftReport, column: string): string {
  const c = d.columns.find((x) => x.column === column);
  return c ? driftFigures(c) : 'n/a';
}

const perClass = (r: ClassificationReport) =>
  r.perClass.map((c) => ({
    label: String(c.label),
    value: c.f1,
    note: `F1 ${c.f1.toFixed(3)} · P ${c.precision.toFixed(2)} · R ${c.recall.toFixed(2)} · n ${c.support}`,
  }));

const kpis = (r: ClassificationReport) =>
  `<div><span class="kpi"><b>${r.accuracy.toFixed(3)}</b>accuracy</span><span class="kpi"><b>${r.macro.f1.toFixed(3)}</b>macro-F1</span>
<span class="kpi"><b>${r.balancedAccuracy.toFixed(3)}</b>balanced accuracy</span><span class="kpi"><b>${r.n}</b>test tickets</span></div>`;

/** The gate's comparison: the candidate and the incumbent scored on the same tickets. */
function comparisonHtml(c: GateComparison | null | undefined): string {
  if (!c) return '';
  const cell = (m: Record<string, number> | undefined, k: string) =>
    `<td>${m?.[k] === undefined ? 'n/a' : m[k]!.toFixed(3)}</td>`;
  const row = (who: string, m: Record<string, number> | undefined) =>
    `<tr><td>${who}</td>${cell(m, 'macro_f1')}${cell(m, 'accuracy')}</tr>`;
  return `<p>The gate compared both models <b>on the same data</b>: the continuous-training policy loaded the candidate and the incumbent from the registry through their flavor and scored both on the <b>${esc(c.data.name)}</b> (${c.data.rows} tickets neither model was trained on${c.data.datasetVersion ? `, dataset <code>${esc(c.data.datasetVersion)}</code>` : ''}).</p>
<table><tr><th>on the ${esc(c.data.name)}</th><th>macro-F1</th><th>accuracy</th></tr>${row(`incumbent v${c.incumbent?.version ?? '?'}`, c.incumbent?.metrics)}${row(`candidate v${c.candidate.version}`, c.candidate.metrics)}</table>`;
}

/** Performance before labels arrive: the estimate beside the realized accuracy, with the gap. */
function estimatesHtml(r: ReportInput): string {
  if (!r.estimates?.length) return '';
  const c = r.calibration;
  const rows = r.estimates
    .map(
      (e) =>
        `<tr><td>${esc(e.stream)}</td><td>${e.n}</td><td>${e.estimated.toFixed(3)} (${e.lower.toFixed(3)}–${e.upper.toFixed(3)})</td><td>${e.realized.toFixed(3)}</td><td>${(e.estimated - e.realized >= 0 ? '+' : '') + (e.estimated - e.realized).toFixed(3)}</td></tr>`,
    )
    .join('');
  return `<h2>Performance before labels arrive</h2>
<p>Accuracy estimated from the served class probabilities alone (confidence-based performance estimation), before any
label arrived, beside the accuracy realized once the feedback came in.${c ? ` The probabilities are calibrated by a <b>${esc(c.method)}</b> calibrator fitted on ${c.rows} held-out test tickets that were not replayed and stored in the model package's metadata (expected calibration error ${c.ece.before.toFixed(3)} before, ${c.ece.after.toFixed(3)} after, out of fold).` : ''}</p>
<table><tr><th>stream</th><th>predictions</th><th>estimated accuracy (95 % interval)</th><th>realized accuracy</th><th>gap</th></tr>${rows}</table>
<p class="note">The shifted stream is a surge of one topic, a label-prior shift: the calibration learnt on the old mix of
topics no longer holds there, which CBPE assumes, so its estimate is shown with its gap as measured, not tuned.</p>`;
}

/** Renders the report page. */
export function renderReport(r: ReportInput): string {
  const driftRows = (['live traffic', 'shifted traffic'] as const)
    .map((name) => {
      const d = name === 'live traffic' ? r.liveDrift : r.shiftedDrift;
      return `<tr><td>${esc(name)}</td><td>${d.dataset.status === 'broken' ? 'broken feed' : d.dataset.drifted ? 'yes' : 'no'}</td><td>${esc(describeColumn(d, 'text'))}</td><td>${esc(describeColumn(d, 'label'))}</td></tr>`;
    })
    .join('');
  const t = r.topic;
  const u = r.urgency;
  const byType = Object.entries(u.byType)
    .sort()
    .map(([k, n]) => `<tr><td><code>${esc(k)}</code></td><td>${n}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>IT ticket triage — mlops-ts example</title>
<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}h2{margin-top:2rem}
.kpi{display:inline-block;margin-right:2rem}.kpi b{font-size:1.6rem;display:block}.note{background:#fff6dd;padding:.5rem 1rem}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}</style></head><body>
<h1>IT ticket triage</h1>
<p>${r.quick ? '<b>Quick run</b> on a stratified slice. ' : ''}Data versions: ${Object.entries(r.versions)
    .map(([k, v]) => `<code>${esc(k)}@${esc(v.slice(0, 12))}</code>`)
    .join(', ')}.</p>
<h2>Data validation</h2>
<p>${r.validation.rows} tickets ingested into <code>raw.tickets</code>, ${r.validation.quarantined} malformed rows quarantined;
SQL steps run: ${esc(r.validation.ran.join(', ') || 'none')}; skipped (unchanged): ${esc(r.validation.skipped.join(', ') || 'none')}.
Every expectation passed (<a href="data-quality.html">validation and data-quality report</a>,
<a href="urgency-validation.html">urgency file</a>).</p>
<h2>Topic model</h2>
<p><code>${esc(t.model)}</code> v${t.version}: softmax regression on TF-IDF (word 1–2-grams), C=${t.C.toPrecision(3)} (picked by the study), served as ONNX
(parity with the JS model on ${t.parity.rows} test tickets: ${t.parity.labelMismatches} label mismatches, max |Δp| ${t.parity.maxAbsDiff.toExponential(1)}).</p>
${kpis(t.report)}
<h3>Tuning</h3>${barChart(
    t.trials.map((x) => ({ label: `C = ${x.C.toPrecision(3)}`, value: x.macroF1 })),
    { max: 1, title: 'validation macro-F1 per trial' },
  )}
<h3>Per-class F1 (test split)</h3>${barChart(perClass(t.report), { max: 1, width: 860, noteWidth: 300 })}
<h3>Confusion matrix</h3>${confusionHeatmap(t.report.confusionMatrix.labels.map(String), t.report.confusionMatrix.matrix)}
${estimatesHtml(r)}
<h2>Urgency model</h2>
<p class="note"><b>Caveat.</b> Urgency codes are anonymised integers whose meaning is not published. In this file every
ticket with <code>ticket_type=1</code> has urgency 3, so a model of urgency mostly learns the ticket type; urgency varies only
among the <code>ticket_type=0</code> tickets. Rare codes: ${u.rareCodes
    .map((c) => `<b>${esc(c.code)}</b> (${c.tickets} tickets, test recall ${c.recall.toFixed(2)})`)
    .join(', ')}. No meaning is invented for any code.</p>
<table><tr><th>ticket type × urgency</th><th>tickets</th></tr>${byType}</table>
<p><code>${esc(u.model)}</code> v${u.version} (balanced class weights)${u.promoted ? ', promoted to production' : ', not promoted: it failed the gate'}.</p>
${kpis(u.report)}
<h3>Per-class recall (test split)</h3>${barChart(
    u.report.perClass.map((c) => ({
      label: `urgency ${String(c.label)}`,
      value: c.recall,
      note: `R ${c.recall.toFixed(3)} · P ${c.precision.toFixed(2)} · n ${c.support}`,
    })),
    { max: 1, width: 860, noteWidth: 300 },
  )}
<h3>Confusion matrix</h3>${confusionHeatmap(u.report.confusionMatrix.labels.map(String), u.report.confusionMatrix.matrix)}
<h2>Drift</h2><table><tr><th>traffic</th><th>dataset drift</th><th>text column</th><th>prediction drift</th></tr>${driftRows}</table>
<p>Continuous training on the shifted traffic: <b>${esc(r.retrainStatus)}</b>${r.rolledBackTo === undefined ? '' : `; production was then rolled back to v${r.rolledBackTo} and the server followed`}.</p>
${comparisonHtml(r.retrainComparison)}
<p>Per-column details: <a href="drift-shifted.html">drift report of the shifted traffic</a>.</p>
${r.triageExample === undefined ? '' : `<h2>A triage</h2><p><code>POST /tickets/triage</code> answered:</p><pre>${esc(JSON.stringify(r.triageExample, null, 2))}</pre>`}
</body></html>`;
}
