// Step 15, the HTML report (`reports/secom.html`) and the banner every report of a simulated run carries.
import type { Alert } from '@mlops/core';
import type { ClassificationReport } from '@mlops/core/metrics';
import { type DriftReport, sortByDrift } from '@mlops/drift';
import { barChart, confusionHeatmap, curveChart, driftFigures, esc, lineChart } from '@mlops/example-kit';
import { MODEL } from './context.js';
import { type OperatingPoint, prCurve, rocCurve } from './metrics.js';
import { col } from './steps/monitor.js';
import type { Parity } from './steps/package.js';
import type { Trial } from './steps/train.js';
import type {
  CalibrationSummary,
  DataQualitySummary,
  EstimateRow,
  PolicyCheck,
  RetrainSummary,
  WindowResult,
} from './types.js';

/** Performance before labels arrive: estimated vs realized accuracy per stream, with the gap. */
function estimatesHtml(r: { estimates: EstimateRow[]; calibration: CalibrationSummary }): string {
  if (r.estimates.length === 0) return '';
  const c = r.calibration;
  const rows = r.estimates
    .map((e) => {
      const gap = e.estimated - e.realized;
      return `<tr><td>${esc(e.stream)}</td><td>${e.n}</td><td>${e.estimated.toFixed(3)} (${e.lower.toFixed(3)}–${e.upper.toFixed(3)})</td><td>${e.realized.toFixed(3)}</td><td>${gap >= 0 ? '+' : ''}${gap.toFixed(3)}</td></tr>`;
    })
    .join('');
  return `<h2>Performance before labels arrive</h2>
<p>Accuracy at the decision threshold estimated from the served fail probabilities alone (confidence-based performance estimation), before any label arrived, beside the accuracy realized once the feedback came in. The probabilities are calibrated by a <b>${esc(c.method)}</b> calibrator fitted on the ${c.rows} validation runs (never used for fitting) and stored in the model package's metadata (expected calibration error ${c.ece.before.toFixed(3)} before, ${c.ece.after.toFixed(3)} after, out of fold).</p>
<table><tr><th>stream</th><th>runs</th><th>estimated accuracy (95 % interval)</th><th>realized accuracy</th><th>gap</th></tr>${rows}</table>
<p>The estimate assumes that the calibration still holds. Injected sensor drift breaks that assumption (the forest's confidence on wrong readings says nothing about its accuracy), so the gap on the injected windows is shown as measured.</p>`;
}

/** Everything the HTML report shows. */
export interface ReportInput {
  simulated: boolean;
  quick: boolean;
  version: number;
  datasetVersion: string;
  trials: Trial[];
  best: string;
  metrics: Record<string, number>;
  report: ClassificationReport;
  testPoints: OperatingPoint[];
  chosen: OperatingPoint;
  targetRecall: number;
  parity: Parity;
  promoted: boolean;
  windows: WindowResult[];
  estimates: EstimateRow[];
  calibration: CalibrationSummary;
  live: DriftReport | undefined;
  shifted: DriftReport | undefined;
  injected: { shifted: string; stuck: string };
  monitored: string[];
  checks: PolicyCheck[];
  retrain: RetrainSummary | null;
  alerts: Alert[];
  rollbackNote: string;
  quality: DataQualitySummary;
}

/** The run's HTML report (`reports/secom.html`): inline SVG charts, no script, no CDN. */
export function renderReport(r: ReportInput): string {
  const m = r.metrics;
  const banner = r.simulated
    ? '<p style="background:#fff3cd;border:1px solid #e0c060;padding:8px 12px"><b>SIMULATED features.</b> SECOM\'s 590-column feature file was not available, so the sensor readings were simulated (seeded) around the <b>real</b> SECOM labels and timestamps. Every figure below describes the simulator, not the real fab.</p>'
    : '<p>Data: the UCI SECOM feature file and labels (CC BY 4.0, McCann &amp; Johnston).</p>';
  const testAtThreshold = r.testPoints.find((p) => p.threshold <= m.threshold!) ?? r.testPoints.at(-1)!;
  const empty = { columns: [], dataset: { driftedColumns: 0, columns: 0 } } as unknown as DriftReport;
  const live = r.live ?? empty;
  const shifted = r.shifted ?? empty;
  // Bars show the effect size (the test statistic of a p-value test: KS D in [0, 1]; the distance otherwise), not the
  // p-value: with hundreds of runs every shifted sensor's p-value is ~0, which says "certain", not "how much".
  const effect = (c: DriftReport['columns'][number]) => (c.testKind === 'p-value' ? (c.statistic ?? 0) : c.score);
  const byEffect = (cols: DriftReport['columns']) =>
    sortByDrift(cols.filter((c) => c.role === 'feature'))
      .sort((a, b) => Number(b.drifted) - Number(a.drifted) || effect(b) - effect(a))
      .slice(0, 15);
  const top = byEffect(shifted.columns);
  const injectedSet = new Set([r.injected.shifted, r.injected.stuck]);
  const statName = (cols: DriftReport['columns']) =>
    cols.every((c) => c.test === 'ks') ? 'KS statistic D' : 'test statistic or distance';
  const driftBars = barChart(
    top.map((c) => ({
      label: `${c.column}${c.column === r.injected.shifted ? ' (shifted)' : c.column === r.injected.stuck ? ' (stuck)' : ''}`,
      value: effect(c),
      note: driftFigures(c),
    })),
    {
      title: `drift per sensor (bar: ${statName(top)}), injected windows, top 15`,
      width: 860,
      color: '#c0392b',
      ...(top.every((c) => c.test === 'ks') ? { max: 1 } : {}),
    },
  );
  const liveTop = byEffect(live.columns);
  const liveBars = barChart(
    liveTop.map((c) => ({ label: c.column, value: effect(c), note: driftFigures(c) })),
    {
      title: `drift per sensor (bar: ${statName(liveTop)}), clean windows (no injection), top 15`,
      width: 860,
      ...(liveTop.every((c) => c.test === 'ks') ? { max: 1 } : {}),
    },
  );
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(0)} %`);
  const windowRows = r.windows
    .map(
      (w, k) =>
        `<tr><td>${k + 1}</td><td>${w.from} … ${w.to}${w.injected ? ' <b>(injected)</b>' : ''}</td><td>${w.runs}</td><td>${w.labelled}</td><td>${w.fails}</td><td>${w.flagged}</td><td>${w.caught}</td><td>${pct(w.recall)}</td><td>${pct(w.precision)}</td><td>${pct(w.accuracy)}</td><td>${pct(w.estimatedAccuracy)}</td><td>${(100 * w.driftedShare).toFixed(1)} %</td><td>${w.monitoredDrifted}/${r.monitored.length}</td><td>v${esc(w.versions)}</td></tr>`,
    )
    .join('');
  const firstInjected = r.windows.findIndex((w) => w.injected);
  const overTime = lineChart(
    r.windows.map((_, k) => `w${k + 1}`),
    [
      { label: 'fail recall', values: r.windows.map((w) => w.recall), color: '#4f7cac' },
      { label: 'fail precision', values: r.windows.map((w) => w.precision), color: '#8e44ad' },
      { label: 'accuracy', values: r.windows.map((w) => w.accuracy), color: '#27ae60' },
      {
        label: 'drifted sensors (share)',
        values: r.windows.map((w) => w.driftedShare),
        color: '#e67e22',
        dashed: true,
      },
      {
        label: 'monitored sensors drifted (share)',
        values: r.windows.map((w) => w.monitoredDrifted / Math.max(1, r.monitored.length)),
        color: '#c0392b',
        dashed: true,
      },
    ],
    {
      title: 'metrics over time: replayed windows (from the feedback in the store) and drift',
      yLabel: 'share',
      ...(firstInjected >= 0 ? { marker: { at: firstInjected, label: 'sensor drift injected' } } : {}),
    },
  );
  const injectedRows = [...injectedSet]
    .map((s) => {
      const a = col(live, s);
      const b = col(shifted, s);
      return `<tr><td>${esc(s)}</td><td>${s === r.injected.shifted ? 'shifted +3 σ' : 'stuck at median'}</td><td>${a ? esc(driftFigures(a)) : 'n/a'}</td><td>${b ? esc(driftFigures(b)) : 'n/a'}</td></tr>`;
    })
    .join('');
  const checkRows = r.checks
    .map(
      (c) =>
        `<tr><td>after window ${c.afterWindow}</td><td><b>${esc(c.status)}</b></td><td>${esc(c.driftedSensors.join(', ') || 'none')}</td><td>${esc(c.reasons.join('; ') || '—')}</td></tr>`,
    )
    .join('');
  const rt = r.retrain;
  const cmp = rt?.comparison;
  const figureCells = (m: Record<string, number> | undefined) =>
    ['pr_auc', 'roc_auc', 'fail_recall', 'fail_precision']
      .map((k, i) => `<td>${m?.[k] === undefined ? 'n/a' : m[k]!.toFixed(i < 2 ? 3 : 2)}</td>`)
      .join('');
  const retrainHtml = rt
    ? `<p>Candidate v${rt.version}: the sensors flagged by the drift check (${esc(rt.untrusted.join(', ') || 'none')}) are no longer trusted and left out; trained on ${rt.trainRows} runs (the training runs + the labelled traffic from before the fault), evaluated on the ${rt.holdoutRows} runs since the fault (${rt.holdoutFails} fails). Gate: <b>${esc(rt.status)}</b> — ${esc(rt.reason)}.</p>
${
  cmp
    ? `<p>The gate compares both models <b>on the same data</b>: the continuous-training policy loaded the candidate and the incumbent from the registry through their flavor and scored both on <b>${esc(cmp.data.name)}</b> (${cmp.data.rows} labelled runs, ${esc(cmp.data.from?.slice(0, 10) ?? '?')}..${esc(cmp.data.to?.slice(0, 10) ?? '?')}, dataset <code>${esc(cmp.data.datasetVersion ?? 'n/a')}</code>), each at the decision threshold it was registered with. The incumbent's registered PR-AUC (${rt.registeredIncumbentPrAuc?.toFixed(3) ?? 'n/a'}, measured on its own test runs) is shown for reference and not compared.</p>
<table><tr><th>on ${esc(cmp.data.name)} (what the gate compared)</th><th>PR-AUC</th><th>ROC-AUC</th><th>fail recall</th><th>fail precision</th></tr>
<tr><td>incumbent v${cmp.incumbent?.version ?? '?'}</td>${figureCells(cmp.incumbent?.metrics)}</tr>
<tr><td>candidate v${cmp.candidate.version}</td>${figureCells(cmp.candidate.metrics)}</tr>
<tr><td><i>incumbent, registered (not compared)</i></td><td>${rt.registeredIncumbentPrAuc?.toFixed(3) ?? 'n/a'}</td><td colspan="3"></td></tr></table>`
    : `<p>No comparison on the same data was recorded (the decision ${esc(rt.status)} before the gate ran). The retraining's own figures on the ${rt.holdoutRows} runs since the fault:</p>
<table><tr><th>on the ${rt.holdoutRows} runs since the fault</th><th>PR-AUC</th><th>ROC-AUC</th><th>fail recall</th><th>fail precision</th></tr>
<tr><td>incumbent (served)</td>${figureCells(rt.incumbent)}</tr>
<tr><td>candidate v${rt.version}</td>${figureCells(rt.candidate)}</tr></table>`
}`
    : '<p>No retraining ran.</p>';
  const alertItems = r.alerts
    .map((a) => `<li><b>${esc(a.severity)}</b> ${esc(a.title)}: ${esc(a.message.slice(0, 300))}</li>`)
    .join('');
  const kpi = (v: number, label: string) => `<span class="kpi"><b>${v.toFixed(3)}</b>${esc(label)}</span>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SECOM defect prediction${r.simulated ? ' (SIMULATED features)' : ''} — mlops-ts example</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}h2{margin-top:2rem}
.wide{overflow-x:auto}.wide table{font-size:13px}
.kpi{display:inline-block;margin-right:2rem}.kpi b{font-size:1.6rem;display:block}</style></head><body>
<h1>SECOM semiconductor defect prediction${r.simulated ? ' — simulated features' : ''}</h1>
${banner}
<p>${r.quick ? '<b>Quick run.</b> ' : ''}Model <code>${MODEL}</code> v${r.version} (balanced random forest, trial <code>${esc(r.best)}</code>, exported to ONNX with its preprocessing); data version <code>${esc(r.datasetVersion)}</code>.
Data: ${(100 * r.quality.failShare).toFixed(2)} % fails, ${(100 * r.quality.missingShare).toFixed(1)} % missing readings, ${r.quality.constant} constant and ${r.quality.mostlyMissing} mostly-missing sensors (<a href="secom-data-quality.html">data-quality report</a>).
Time-ordered split: first 50 % of runs train, next 20 % validate (study, threshold), last 30 % test.</p>
<h2>Test runs</h2>
<div>${kpi(m.pr_auc!, 'PR-AUC')}${kpi(m.roc_auc!, 'ROC-AUC')}${kpi(m.fail_recall!, 'fail recall')}${kpi(m.fail_precision!, 'fail precision')}${kpi(m.fail_f1!, 'fail F1')}${kpi(m.balanced_accuracy!, 'balanced accuracy')}</div>
<p>Decision threshold ${m.threshold!.toFixed(3)} on P(fail), chosen on the validation runs as the highest threshold reaching fail recall ≥ ${r.targetRecall} (validation recall ${r.chosen.recall.toFixed(2)}, precision ${r.chosen.precision.toFixed(2)}).
A constant score would have PR-AUC ≈ the fail rate.</p>
${curveChart([{ label: 'test runs', points: prCurve(r.testPoints), color: '#4f7cac' }], {
  title: 'precision–recall curve (fail class)',
  xLabel: 'recall',
  yLabel: 'precision',
  marker: { x: testAtThreshold.recall, y: testAtThreshold.precision, label: `threshold ${m.threshold!.toFixed(2)}` },
})}
${curveChart([{ label: 'test runs', points: rocCurve(r.testPoints), color: '#4f7cac' }], {
  title: 'ROC curve',
  xLabel: 'false positive rate',
  yLabel: 'true positive rate',
})}
<h2>Confusion matrix at the threshold</h2>${confusionHeatmap(r.report.confusionMatrix.labels.map(String), r.report.confusionMatrix.matrix)}
<h2>Study trials (validation PR-AUC)</h2>${barChart(
    r.trials.map((t) => ({
      label: t.name,
      value: t.valPrAuc,
      note: `PR-AUC ${t.valPrAuc.toFixed(3)} · ROC-AUC ${t.valRocAuc.toFixed(3)}`,
    })),
    { max: 1, width: 760, noteWidth: 240 },
  )}
<h2>ONNX parity</h2><p>${r.parity.rows} test runs scored by the ONNX graph (raw float32 sensor columns in, preprocessing inside) and by the JS forest package: max |ΔP(fail)| = ${r.parity.maxAbsDiff.toExponential(2)}, ${r.parity.labelMismatches} label mismatches.</p>
<h2>Registry</h2><p>Registered v${r.version} with tags <code>simulated=${r.simulated}</code>; gated promotion to <code>production</code>: ${r.promoted ? 'passed' : 'refused'}.</p>
<h2>Served over HTTP: replayed traffic with feedback</h2>
<p>Production was served by <code>@mlops/serve</code> (following the registry alias); the test runs were replayed in time order in ${r.windows.length} windows through <code>POST /v2/models/${MODEL}/infer</code> (Open Inference Protocol v2, a missing reading as <code>null</code>), and the true outcome of every run went back through <code>POST /v1/feedback</code>. The figures per window are computed from the server's prediction log joined with that feedback, at the decision threshold.</p>
${overTime}
<div class="wide" role="region" aria-label="replayed windows" tabindex="0"><table><tr><th>#</th><th>window</th><th>runs</th><th>with feedback</th><th>fails</th><th>flagged</th><th>caught</th><th>recall</th><th>precision</th><th>accuracy</th><th>estimated accuracy (before labels)</th><th>drifted sensors</th><th>monitored drifted</th><th>served by</th></tr>${windowRows}</table></div>
${estimatesHtml(r)}
<h2>Sensor drift</h2>
<p>Injected from window ${firstInjected + 1} on: <code>${esc(r.injected.shifted)}</code> shifted by 3 training standard deviations and <code>${esc(r.injected.stuck)}</code> stuck at its training median (the forest's two most important sensors). Drifted sensors: ${live.dataset.driftedColumns}/${live.dataset.columns} in the clean windows → ${shifted.dataset.driftedColumns}/${shifted.dataset.columns} in the injected ones (<a href="secom-drift-injected.html">full drift report</a>). ${r.simulated ? 'The simulator drifts on its own over time, which is why many sensors drift in the clean windows too; continuous training therefore watches the ' : 'Continuous training watches the '}${r.monitored.length} sensors the forest relies on most: ${esc(r.monitored.join(', '))}.</p>
<table><tr><th>sensor</th><th>injection</th><th>clean windows</th><th>injected windows</th></tr>${injectedRows}</table>
${driftBars}
${liveBars}
<h2>Alerts</h2><ul>${alertItems || '<li>none</li>'}</ul>
<h2>Continuous training</h2>
<p>Policy: retrain when ≥ 20 % of the monitored sensors drift in the last two windows of the prediction log (KS test against the served version's training profile); the candidate must pass the same promotion gate.</p>
<table><tr><th>check</th><th>decision</th><th>monitored sensors drifted</th><th>reasons</th></tr>${checkRows}</table>
${retrainHtml}
<h2>Rollback</h2><p>${esc(r.rollbackNote)}.</p>
</body></html>`;
}
