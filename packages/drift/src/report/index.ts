export { driftReportJson, driftStrength, renderDriftReportHtml, sortByDrift } from './render-drift-report.js';
