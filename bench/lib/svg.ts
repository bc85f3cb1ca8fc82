/**
 * Hand-written SVG charts for the benchmark page (no dependency): horizontal stacked bars, and scatter / line charts
 * with linear or logarithmic axes, grid lines, tick labels, axis titles and a legend. Every function returns the SVG
 * document as a string.
 */

const FONT = "font-family=\"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Rough text width (px) for layout: proportional fonts average ~0.56 em a character. */
export function textWidth(s: string, size: number): number {
  return s.length * size * 0.56;
}

/** Title and subtitle lines, their font shrunk to fit the width. */
function heading(title: string, subtitle: string | undefined, width: number): string {
  const fit = (t: string, size: number) => Math.min(size, Math.floor(((width - 16) / Math.max(1, t.length * 0.56)) * 10) / 10);
  const o = [`<text x="${width / 2}" y="20" text-anchor="middle" font-size="${fit(title, 15)}" font-weight="600">${esc(title)}</text>`];
  if (subtitle) o.push(`<text x="${width / 2}" y="38" text-anchor="middle" font-size="${fit(subtitle, 12)}" fill="#555">${esc(subtitle)}</text>`);
  return o.join("\n");
}

const fmtNum = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return `${Math.round(v)}`;
  if (a >= 1) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
};

/** About `count` round tick values covering [lo, hi] on a linear axis. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** Tick values on a log axis: 1-2-5 per decade when there are few decades, else powers of ten. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const mults = b - a <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(+v.toPrecision(12));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Horizontal stacked bars
// ---------------------------------------------------------------------------------------------------------------

export interface BarSegment {
  value: number;
  /** Legend entry this segment belongs to (index into BarChart.legend). */
  key: number;
}

export interface BarRow {
  label: string;
  segments: BarSegment[];
  /** Text written right of the bar (defaults to the formatted total). */
  note?: string;
  /** Emphasise this row's label. */
  bold?: boolean;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  rows: BarRow[];
  legend: { name: string; color: string }[];
  width?: number;
  /** Vertical reference line (for example "1x the raw text"). */
  marker?: { value: number; label: string };
  format?: (v: number) => string;
}

export function barChart(c: BarChart): string {
  const width = c.width ?? 820;
  const fs = 12;
  const labelW = Math.min(330, Math.max(...c.rows.map((r) => textWidth(r.label, fs))) + 16);
  const noteW = 150;
  const top = c.subtitle ? 56 : 40;
  const barH = 18, gap = 8;
  const legendH = 28;
  const plotW = width - labelW - noteW - 10;
  const plotH = c.rows.length * (barH + gap);
  const height = top + plotH + 40 + legendH;
  const totals = c.rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0));
  const max = Math.max(...totals, c.marker?.value ?? 0) * 1.02 || 1;
  const ticks = linearTicks(0, max, 6);
  const xMax = Math.max(max, ticks[ticks.length - 1]!);
  const x = (v: number) => labelW + (v / xMax) * plotW;
  const fmt = c.format ?? fmtNum;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="${fs}">`);
  o.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  o.push(heading(c.title, c.subtitle, width));
  for (const t of ticks) {
    o.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${top + plotH}" stroke="#e4e4e4"/>`);
    o.push(`<text x="${x(t).toFixed(1)}" y="${top + plotH + 15}" text-anchor="middle" fill="#444">${esc(fmt(t))}</text>`);
  }
  o.push(`<text x="${labelW + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" fill="#222">${esc(c.xLabel)}</text>`);
  c.rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    o.push(`<text x="${labelW - 8}" y="${y + barH / 2 + 4}" text-anchor="end"${r.bold ? ' font-weight="700"' : ""}>${esc(r.label)}</text>`);
    let acc = 0;
    for (const s of r.segments) {
      if (s.value <= 0) continue;
      const x0 = x(acc), x1 = x(acc + s.value);
      o.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(0.8, x1 - x0).toFixed(1)}" height="${barH}" fill="${c.legend[s.key]!.color}"><title>${esc(`${r.label}: ${c.legend[s.key]!.name} ${fmt(s.value)}`)}</title></rect>`);
      acc += s.value;
    }
    o.push(`<text x="${(x(acc) + 6).toFixed(1)}" y="${y + barH / 2 + 4}" fill="#222">${esc(r.note ?? fmt(acc))}</text>`);
  });
  o.push(`<line x1="${labelW}" y1="${top - 4}" x2="${labelW}" y2="${top + plotH}" stroke="#333"/>`);
  if (c.marker) {
    const mx = x(c.marker.value).toFixed(1);
    o.push(`<line x1="${mx}" y1="${top - 8}" x2="${mx}" y2="${top + plotH}" stroke="#c0392b" stroke-dasharray="4 3"/>`);
    o.push(`<text x="${mx}" y="${top - 10}" text-anchor="middle" fill="#c0392b" font-size="11">${esc(c.marker.label)}</text>`);
  }
  let lx = labelW;
  const ly = height - 12;
  for (const l of c.legend) {
    o.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${l.color}"/>`);
    o.push(`<text x="${lx + 16}" y="${ly}">${esc(l.name)}</text>`);
    lx += 16 + textWidth(l.name, fs) + 20;
  }
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------------------------
// Scatter / line charts
// ---------------------------------------------------------------------------------------------------------------

export interface Point {
  x: number;
  y: number;
  /** Small text written beside the point. */
  label?: string;
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
  /** Join the points (in the given order) with a line. */
  line?: boolean;
  /** Marker: circle (default), square, diamond, triangle. */
  marker?: "circle" | "square" | "diamond" | "triangle";
  /** Outline markers (white fill), so markers drawn over each other stay visible. */
  hollow?: boolean;
  dashed?: boolean;
}

export interface XYChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Fixed y range (e.g. [0, 1] for recall); else from the data. */
  yRange?: [number, number];
  xRange?: [number, number];
  width?: number;
  height?: number;
  /** Horizontal reference lines. */
  hLines?: { y: number; label: string }[];
}

function marker(kind: Series["marker"], cx: number, cy: number, color: string, title: string, hollow = false, r = 4.5): string {
  const t = `<title>${esc(title)}</title>`;
  const paint = hollow ? `fill="#ffffff" fill-opacity="0.6" stroke="${color}" stroke-width="2"` : `fill="${color}" stroke="#fff" stroke-width="0.8"`;
  switch (kind) {
    case "square":
      return `<rect x="${(cx - r).toFixed(1)}" y="${(cy - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" ${paint}>${t}</rect>`;
    case "diamond":
      return `<path d="M${cx.toFixed(1)} ${(cy - r - 1).toFixed(1)} L${(cx + r + 1).toFixed(1)} ${cy.toFixed(1)} L${cx.toFixed(1)} ${(cy + r + 1).toFixed(1)} L${(cx - r - 1).toFixed(1)} ${cy.toFixed(1)} Z" ${paint}>${t}</path>`;
    case "triangle":
      return `<path d="M${cx.toFixed(1)} ${(cy - r - 1).toFixed(1)} L${(cx + r + 1).toFixed(1)} ${(cy + r).toFixed(1)} L${(cx - r - 1).toFixed(1)} ${(cy + r).toFixed(1)} Z" ${paint}>${t}</path>`;
    default:
      return `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${r}" ${paint}>${t}</circle>`;
  }
}

export function xyChart(c: XYChart): string {
  const width = c.width ?? 820;
  const height = c.height ?? 460;
  const fs = 12;
  const legendW = Math.min(340, Math.max(...c.series.map((s) => textWidth(s.name, fs))) + 36);
  const left = 62, right = legendW + 16, top = c.subtitle ? 58 : 42, bottom = 50;
  const pw = width - left - right, ph = height - top - bottom;
  const pts = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!c.xLog || p.x > 0) && (!c.yLog || p.y > 0));
  const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
  let [x0, x1] = c.xRange ?? [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = c.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) [x0, x1] = c.xLog ? [1, 10] : [0, 1];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = c.yLog ? [1, 10] : [0, 1];
  if (c.xLog) {
    if (!c.xRange) [x0, x1] = [x0 / 1.35, x1 * 1.35];
    if (x1 / x0 < 10) [x0, x1] = [x0 / 2, x1 * 2];
  } else if (!c.xRange) {
    const pad = (x1 - x0) * 0.06 || Math.abs(x0) * 0.1 || 1;
    [x0, x1] = [Math.max(0, x0 - pad), x1 + pad];
  }
  if (c.yLog) {
    if (!c.yRange) [y0, y1] = [y0 / 1.35, y1 * 1.35];
  } else if (!c.yRange) {
    const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.1 || 1;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const X = (v: number) => left + (c.xLog ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => top + ph - (c.yLog ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0)) * ph;
  const xt = c.xLog ? logTicks(x0, x1) : linearTicks(x0, x1, 6);
  const yt = c.yLog ? logTicks(y0, y1) : linearTicks(y0, y1, 5);
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="${fs}">`);
  o.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  o.push(heading(c.title, c.subtitle, width));
  // Markers on the frame (recall 1.0) stay whole: the clip region extends a few pixels past the axes.
  o.push(`<defs><clipPath id="plot"><rect x="${left - 7}" y="${top - 7}" width="${pw + 14}" height="${ph + 14}"/></clipPath></defs>`);
  for (const t of xt) {
    const px = X(t);
    if (px < left - 0.5 || px > left + pw + 0.5) continue;
    o.push(`<line x1="${px.toFixed(1)}" y1="${top}" x2="${px.toFixed(1)}" y2="${top + ph}" stroke="#e8e8e8"/>`);
    o.push(`<text x="${px.toFixed(1)}" y="${top + ph + 16}" text-anchor="middle" fill="#444">${esc(fmtNum(t))}</text>`);
  }
  for (const t of yt) {
    const py = Y(t);
    if (py < top - 0.5 || py > top + ph + 0.5) continue;
    o.push(`<line x1="${left}" y1="${py.toFixed(1)}" x2="${left + pw}" y2="${py.toFixed(1)}" stroke="#e8e8e8"/>`);
    o.push(`<text x="${left - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end" fill="#444">${esc(fmtNum(t))}</text>`);
  }
  o.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${left + pw / 2}" y="${height - 12}" text-anchor="middle" fill="#222">${esc(c.xLabel)}${c.xLog ? " (log scale)" : ""}</text>`);
  o.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(c.yLabel)}${c.yLog ? " (log scale)" : ""}</text>`);
  for (const h of c.hLines ?? []) {
    const py = Y(h.y);
    if (py < top || py > top + ph) continue;
    o.push(`<line x1="${left}" y1="${py.toFixed(1)}" x2="${left + pw}" y2="${py.toFixed(1)}" stroke="#999" stroke-dasharray="5 4"/>`);
    o.push(`<text x="${left + 4}" y="${(py - 4).toFixed(1)}" fill="#777" font-size="11">${esc(h.label)}</text>`);
  }
  o.push(`<g clip-path="url(#plot)">`);
  for (const s of c.series) {
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!c.xLog || p.x > 0) && (!c.yLog || p.y > 0));
    if (s.line && ok.length > 1) {
      o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${ok.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(" ")}"/>`);
    }
    for (const p of ok) o.push(marker(s.marker, X(p.x), Y(p.y), s.color, `${s.name}${p.label ? ` ${p.label}` : ""}: x ${fmtNum(p.x)}, y ${fmtNum(p.y)}`, s.hollow, s.hollow ? 5.5 : 4.5));
  }
  o.push(`</g>`);
  const boxes: [number, number, number, number][] = [];
  for (const s of c.series) {
    for (const p of s.points) {
      if (!p.label || !Number.isFinite(p.x) || !Number.isFinite(p.y) || (c.xLog && p.x <= 0) || (c.yLog && p.y <= 0)) continue;
      const px = X(p.x), py = Y(p.y);
      if (px < left - 7 || px > left + pw + 7 || py < top - 7 || py > top + ph + 7) continue;
      // Below the point when it sits on the top edge, else above-right.
      const ty = py < top + 14 ? py + 16 : py - 7;
      const box: [number, number, number, number] = [px + 6, ty - 10, px + 6 + textWidth(p.label, 10), ty + 2];
      if (boxes.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue; // would overlap a label
      boxes.push(box);
      o.push(`<text x="${(px + 6).toFixed(1)}" y="${ty.toFixed(1)}" font-size="10" fill="${s.color}">${esc(p.label)}</text>`);
    }
  }
  // legend
  let ly = top + 6;
  const lx = left + pw + 16;
  for (const s of c.series) {
    if (s.line) o.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    o.push(marker(s.marker, lx + 11, ly, s.color, s.name, s.hollow, s.hollow ? 5.5 : 4.5));
    o.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`);
    ly += 20;
  }
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}
