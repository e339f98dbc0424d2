import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: number[];
}

const COLORS = ['#1f4fbf', '#1b7f3b', '#b3261e', '#8a4b08', '#6a1b9a', '#00696f'];

/**
 * Lines over time (uPlot, canvas) with the same figures in a table behind a disclosure, so a screen
 * reader or a person who wants the numbers reads them exactly.
 */
export function SeriesChart({
  title,
  times,
  labels,
  series,
  format,
  bars,
}: {
  title: string;
  /** Period starts, UTC seconds. */
  times: number[];
  /** How each period is named in the table. */
  labels: string[];
  series: Series[];
  format: (v: number) => string;
  /** Bars instead of lines (movements per period). */
  bars?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || times.length === 0) return;
    const width = () => Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: true } },
        axes: [{ space: 70 }, { size: 80, values: (_u, ticks) => ticks.map((t) => format(t)) }],
        legend: { show: true, live: true },
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            fill: bars ? `${COLORS[i % COLORS.length]}55` : undefined,
            width: 2,
            value: (_u: uPlot, v: number | null) => (v == null ? '—' : format(v)),
            ...(bars
              ? { paths: uPlot.paths.bars?.({ size: [0.6, 40], align: 0 }), points: { show: false } }
              : {}),
          })),
        ],
      },
      [times, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, format, bars]);
  return (
    <figure className="chart">
      <div ref={box} role="img" aria-label={title} />
      <figcaption>{title}</figcaption>
      <details className="chart-data">
        <summary>Data table: {title}</summary>
        <div className="table-wrap" tabIndex={0} role="region" aria-label={`${title}, figures`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Period</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, i) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  {series.map((s) => (
                    <td key={s.label}>{format(s.values[i] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
