export { dataQualityReport, type QualityReportOptions } from './data-quality-report.js';
export { renderQualityReportHtml } from './render-quality-report-html.js';
export {
  QUALITY_REPORT_KIND,
  type QualityColumn,
  type QualityHistogram,
  type QualityReport,
  qualityColumnSchema,
  qualityHistogramSchema,
  qualityReportSchema,
} from './schema.js';
