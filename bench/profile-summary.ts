import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Only samples inside these CLOCK_MONOTONIC windows (µs) were counted, when given. */
  windowed: boolean;
  totalMs: number;
  /** Share of samples the process was not idle. */
  busyMs: number;
  topFunctions: { frame: string; selfMs: number; selfPct: number }[];
  topPackages: { pkg: string; selfMs: number; selfPct: number }[];
}

/** Where a frame's code lives: an npm package, a Leadflow folder, or a V8/Node category. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `leadflow/${url.slice(dist + 6).split('/')[0]}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/** Self time per function and per package of one V8 .cpuprofile (what `node --cpu-prof` writes). */
export function summarizeProfile(file: string, top = 15, windows: [number, number][] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windows.length > 0 && !windows.some(([from, to]) => t >= from && t <= to)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const byFrame = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const frame = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ k, selfMs: Math.round(us / 100) / 10, selfPct: Math.round((us / Math.max(1, busy)) * 1000) / 10 }));
  return {
    file,
    windowed: windows.length > 0,
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    topFunctions: rank(byFrame).map(({ k, ...r }) => ({ frame: k, ...r })),
    topPackages: rank(byPkg).map(({ k, ...r }) => ({ pkg: k, ...r })),
  };
}

/** Every .cpuprofile under `dir` (one level of sub-folders: one per process). */
export function summarizeProfileDir(dir: string, top = 15, windows: [number, number][] = []): ProfileSummary[] {
  const files = readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? readdirSync(path.join(dir, d.name)).map((f) => path.join(dir, d.name, f)) : [path.join(dir, d.name)],
  );
  return files.filter((f) => f.endsWith('.cpuprofile')).map((f) => summarizeProfile(f, top, windows));
}

export function profileMarkdown(summary: ProfileSummary, label: string): string {
  const lines = [
    `#### ${label} (${path.basename(summary.file)}): ${summary.busyMs} ms busy of ${summary.totalMs} ms${summary.windowed ? ' (measured phases only)' : ''}`,
    '',
    '| self ms | % of busy | package |',
    '| ---: | ---: | --- |',
    ...summary.topPackages.map((p) => `| ${p.selfMs} | ${p.selfPct} | ${p.pkg} |`),
    '',
    '| self ms | % of busy | function |',
    '| ---: | ---: | --- |',
    ...summary.topFunctions.map((f) => `| ${f.selfMs} | ${f.selfPct} | \`${f.frame}\` |`),
    '',
  ];
  return lines.join('\n');
}

// `node dist/bench/profile-summary.js <dir-or-file>…` prints the tables for profiles already written.
if (require.main === module) {
  for (const arg of process.argv.slice(2)) {
    const summaries = arg.endsWith('.cpuprofile') ? [summarizeProfile(arg)] : summarizeProfileDir(arg);
    for (const s of summaries) console.log(profileMarkdown(s, 'profile'));
  }
}
