// Shared helpers for the bench scripts: percentiles, process-tree CPU and
// memory from /proc, the load average. Nothing here asserts anything.

import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64
const PAGE = 4096;

export function percentile(sorted, p) {
  if (sorted.length === 0)
    return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
    min: s.length ? s[0] : NaN,
  };
}

export function median(values) {
  return summary(values).p50;
}

/** The 1-minute load average and the whole line, for the record. */
export function loadavg() {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return { one: Number(one), five: Number(five), fifteen: Number(fifteen),
           text: `${one} ${five} ${fifteen}` };
}

/** { utime+stime in seconds, rss bytes, vmhwm bytes } of one process, or null. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime is field 14, stime 15, rss 24.
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rss = Number(fields[21]) * PAGE;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpu, rss, hwm: hwm ? Number(hwm[1]) * 1024 : rss, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** All descendants of @root (and @root), from /proc. */
export function processTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    const st = procStat(Number(name));
    if (!st)
      continue;
    if (!children.has(st.ppid))
      children.set(st.ppid, []);
    children.get(st.ppid).push(Number(name));
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function fmtMs(v) {
  return Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a';
}

export function fmtMB(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
