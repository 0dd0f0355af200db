import { Runtime } from '@temporalio/worker';
import type { LeadflowConfig } from '../config/leadflow.config';

/**
 * Installs the process's Temporal Runtime with a Prometheus exporter when LEADFLOW_WORKER_METRICS_ADDRESS
 * is set: the SDK's own worker metrics (`temporal_*`: task latencies, slots, sticky cache) and the lead
 * workflow's own (`leadflow_sla_timers_*`, workflows/lead.metrics.ts) at `http://<address>/metrics`.
 *
 * Call it once per process, before the first NativeConnection or Worker: those install the Runtime with
 * the SDK's defaults (no metrics) if it is not installed yet, and it cannot be installed twice. Returns
 * the scrape URL, or undefined when metrics are off (the Runtime is then left to the SDK's defaults).
 * A port that cannot be bound stops start-up with a message naming the variable.
 */
export function installWorkerTelemetry(config: Pick<LeadflowConfig, 'worker'>): string | undefined {
  const bindAddress = config.worker?.metricsAddress;
  if (!bindAddress) return undefined;
  try {
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`invalid configuration: LEADFLOW_WORKER_METRICS_ADDRESS: cannot serve worker metrics on ${bindAddress}: ${reason}`);
  }
  return `http://${bindAddress}/metrics`;
}
