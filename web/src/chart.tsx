import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface DailySeries {
  /** Days as UTC midnights in seconds. */
  days: number[];
  /** One line per usage type, a count per day (null for days still to come). */
  byType: { type: string; counts: (number | null)[] }[];
}

const COLORS = ['#1f4fbf', '#b3261e', '#1b7f3b', '#8a4b08', '#6a1b9a', '#00696f'];

/** Daily usage by type, drawn by uPlot (canvas); the same figures follow as a table for screen readers. */
export function DailyUsageChart({ data, label }: { data: DailySeries; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] },
        },
        axes: [{ space: 60 }, { size: 50 }],
        legend: { show: true, live: false },
        series: [
          {},
          ...data.byType.map((s, i) => ({
            label: s.type,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: true, size: 6 },
          })),
        ],
      },
      [data.days, ...data.byType.map((s) => s.counts)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data]);
  return (
    <figure className="chart">
      <div ref={box} role="img" aria-label={label} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
