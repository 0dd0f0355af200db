import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { BenchEnvironment, Encryption } from './environment';

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; 0 when it cannot be read. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  worker: number;
  api: number;
  /**
   * The lead worker of the other pair, not being measured: idle for leads, but production's worker runs
   * the webhook dispatcher, so while the plaintext pair is measured it delivers that pair's events.
   */
  otherWorker: number;
  temporal: number;
  floorWorker: number;
  /** The PostgreSQL backends connected to the bench database (the pools of worker, API and bench). */
  postgres: Map<number, number>;
  bench: number;
}

export type CpuByProcess = Record<'worker' | 'api' | 'otherWorker' | 'temporal' | 'floorWorker' | 'postgres' | 'bench', number>;

/** `worker` and `api` are the pair with encryption `encryption`; the other pair's API is idle then and not counted. */
export async function cpuSnapshot(env: BenchEnvironment, encryption: Encryption = 'on'): Promise<CpuSnapshot> {
  const rows = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(env.db!);
  const usage = process.cpuUsage();
  const pids = env.pidsFor(encryption);
  const other = env.plaintext ? env.pidsFor(encryption === 'on' ? 'off' : 'on') : {};
  return {
    worker: cpuMs(pids.worker),
    api: cpuMs(pids.api),
    otherWorker: cpuMs(other.worker),
    temporal: cpuMs(env.temporal?.pid),
    floorWorker: cpuMs(env.floorWorker?.pid),
    postgres: new Map(rows.rows.map((r) => [r.pid, cpuMs(r.pid)])),
    bench: (usage.user + usage.system) / 1000,
  };
}

/** CPU ms each process spent between two snapshots (PostgreSQL: backends alive at both). */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuByProcess {
  let postgres = 0;
  for (const [pid, end] of b.postgres) {
    const start = a.postgres.get(pid);
    postgres += start === undefined ? end : end - start;
  }
  return {
    worker: b.worker - a.worker,
    api: b.api - a.api,
    otherWorker: b.otherWorker - a.otherWorker,
    temporal: b.temporal - a.temporal,
    floorWorker: b.floorWorker - a.floorWorker,
    postgres,
    bench: b.bench - a.bench,
  };
}

export function perOperation(cpu: CpuByProcess, operations: number): CpuByProcess {
  const n = Math.max(1, operations);
  const r = (v: number) => Math.round((v / n) * 100) / 100;
  return { worker: r(cpu.worker), api: r(cpu.api), otherWorker: r(cpu.otherWorker), temporal: r(cpu.temporal), floorWorker: r(cpu.floorWorker), postgres: r(cpu.postgres), bench: r(cpu.bench) };
}
