export {
  createDriftMonitor,
  type DriftEvent,
  type DriftMonitor,
  type DriftMonitorOptions,
  type DriftMonitorStats,
  type DriftWindow,
} from './create-drift-monitor.js';
