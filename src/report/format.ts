/** Small formatters shared by the reports: durations, counts and statuses as a reader sees them. */
import type { AgentStatus } from '../agents/result.js';

/** `8.4 s`, `42 s`, `3 m 05 s`, `1 h 02 m`. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)} m ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(total / 3600)} h ${String(Math.floor((total % 3600) / 60)).padStart(2, '0')} m`;
}

/** Thousands separated, whatever the runner's locale. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const STATUS_ICON: Record<AgentStatus, string> = {
  succeeded: '✅',
  failed: '❌',
  'turn-limit': '⏹️',
  timeout: '⏱️',
  cancelled: '🚫',
};
