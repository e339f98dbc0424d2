import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: number[];
  /** Its colour; by default the next of COLORS. */
  color?: string;
}

/** Tick steps of a count axis: 1, 2, 5, 10, 20, 50… */
const WHOLE_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));

const COLORS = ['#1f4fbf', '#1b7f3b', '#b3261e', '#8a4b08', '#6a1b9a', '#00696f'];

/**
 * Where each series' bar ends when they are stacked: per period, the positive values pile up above 0 and
 * the negative ones below it, the last series nearest 0. Each bar is drawn from 0, the first (outermost)
 * first, so what shows of a bar is its own value.
 */
function stackedTops(series: Series[]): (number | null)[][] {
  const tops = series.map(() => [] as (number | null)[]);
  const periods = Math.max(0, ...series.map((s) => s.values.length));
  for (let x = 0; x < periods; x++) {
    let up = 0;
    let down = 0;
    for (let i = series.length - 1; i >= 0; i--) {
      const v = series[i]!.values[x] ?? 0;
      // No bar at all for a zero: a bar of no height would still draw its outline.
      if (v === 0) tops[i]![x] = null;
      else if (v > 0) tops[i]![x] = up += v;
      else tops[i]![x] = down += v;
    }
  }
  return tops;
}

/**
 * Lines over time (uPlot, canvas), or bars (overlaid, or stacked), with the same figures in a table
 * behind a disclosure, so a screen reader or a person who wants the numbers reads them exactly.
 */
export function SeriesChart({
  title,
  times,
  labels,
  series,
  format,
  bars: barsAsked,
  stacked,
  whole,
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
  /** Bars stacked per period, positive values above 0 and negative ones below (implies bars). */
  stacked?: boolean;
  /** Counts: ticks only at whole numbers (a few events would otherwise be ticked 0, 0.2, 0.4…). */
  whole?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const bars = barsAsked || stacked;
  useEffect(() => {
    const el = box.current;
    if (!el || times.length === 0) return;
    const width = () => Math.max(260, el.clientWidth);
    const drawn = stacked ? stackedTops(series) : series.map((s) => s.values);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: true } },
        axes: [
          { space: 70 },
          {
            ...(whole ? { incrs: WHOLE_STEPS } : {}),
            values: (_u, ticks) => ticks.map((t) => format(t)),
            // Wide enough for the longest label ("$84,500.00" is cut off at a fixed width).
            size: (_u, values) => Math.max(60, ...(values ?? []).map((v) => String(v).length * 7 + 18)),
          },
        ],
        legend: { show: true, live: true },
        series: [
          {},
          ...series.map((s, i) => {
            const color = s.color ?? COLORS[i % COLORS.length]!;
            return {
              label: s.label,
              stroke: color,
              // Stacked bars are opaque, so each shows only its own part.
              fill: stacked ? color : bars ? `${color}55` : undefined,
              width: stacked ? 1 : 2,
              // The series' own figure, not where its stacked bar ends.
              value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
                idx == null ? '—' : format(s.values[idx] ?? 0),
              ...(bars
                ? { paths: uPlot.paths.bars?.({ size: [0.6, 40], align: 0 }), points: { show: false } }
                : {}),
            };
          }),
        ],
      },
      [times, ...drawn],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, format, bars, stacked, whole]);
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
