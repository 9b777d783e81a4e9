export type {
  Dashboard,
  DashboardAuthenticate,
  DashboardAuthMode,
  DashboardOptions,
  ListenDashboardOptions,
  ListeningDashboard,
} from './create-dashboard.js';
export { createDashboard, listenDashboard } from './create-dashboard.js';
export type { MonitoringAlert, MonitoringBucket, MonitoringSeries } from './monitoring.js';
export type { MetricCondition, ParamCondition } from './schemas.js';
