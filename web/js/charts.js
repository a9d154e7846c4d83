// Charts as inline SVG. Lengths along the width are percentages of the
// SVG's own width and text is in CSS pixels, so a chart fits a phone and a
// wide screen alike without scaling its text. Colours come from CSS
// classes (chart-*), so they follow the light and dark schemes.

import { h, s, uniqueId } from './dom.js';

const ROW = 42; // px per bar: its label above, the bar below

/** A horizontal bar chart. rows: [{label, value, text}] (text: the figure shown). */
export function barChart({ rows, label }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = rows.length * ROW;
  return s('svg', { class: 'chart chart-bars', width: '100%', height, role: 'img', 'aria-label': label, focusable: 'false' },
    rows.map((r, i) => {
      const y = i * ROW;
      const w = Math.max(0.5, (r.value / max) * 70);
      return s('g', { class: 'chart-row' },
        s('text', { x: 0, y: y + 14, class: 'chart-label' }, r.label),
        s('rect', { x: 0, y: y + 20, width: `${w}%`, height: 14, rx: 3, class: 'chart-bar' }),
        s('text', { x: `${w + 1.5}%`, y: y + 32, class: 'chart-value' }, r.text ?? String(r.value)));
    }));
}

/** A heat map. rows/cols: [{key, label}]; cell(rowKey, colKey) -> {value, text, mark}. */
export function heatMap({ rows, cols, cell, label }) {
  const head = 28;
  const rowH = 56;
  const left = 22; // % for the row labels
  const colW = (100 - left) / cols.length;
  const values = rows.flatMap((r) => cols.map((c) => cell(r.key, c.key).value));
  const max = Math.max(...values, 0) || 1;
  return s('svg', { class: 'chart chart-heat', width: '100%', height: head + rows.length * rowH, role: 'img', 'aria-label': label, focusable: 'false' },
    cols.map((c, j) => s('text', { x: `${left + colW * (j + 0.5)}%`, y: 18, class: 'chart-label chart-col', 'text-anchor': 'middle' }, c.label)),
    rows.map((r, i) => {
      const y = head + i * rowH;
      return s('g', null,
        s('text', { x: 0, y: y + rowH / 2 + 5, class: 'chart-label' }, r.label),
        cols.map((c, j) => {
          const v = cell(r.key, c.key);
          const x = left + colW * j;
          return s('g', { class: ['chart-cell', v.mark && 'chart-cell-mark'] },
            s('rect', { x: `${x + 0.5}%`, y: y + 2, width: `${colW - 1}%`, height: rowH - 4, rx: 4, class: 'chart-heat-bg' }),
            s('rect', { x: `${x + 0.5}%`, y: y + 2, width: `${colW - 1}%`, height: rowH - 4, rx: 4, class: 'chart-heat-cell', 'fill-opacity': (0.08 + 0.92 * (v.value / max)).toFixed(3) }),
            s('rect', { x: `${x + colW / 2 - 5.5}%`, y: y + rowH / 2 - 11, width: '11%', height: 22, rx: 11, class: 'chart-pill' }),
            s('text', { x: `${x + colW / 2}%`, y: y + rowH / 2 + 5, class: 'chart-value', 'text-anchor': 'middle' }, v.text));
        }));
    }));
}

/** A table of the same numbers, for screen readers and for reading. */
export function dataTable({ caption, columns, rows }) {
  const id = uniqueId('table');
  return h('details', { class: 'numbers' },
    h('summary', null, 'The numbers as a table'),
    h('table', { id, class: 'data' },
      h('caption', null, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.title)))),
      h('tbody', null, rows.map((row) => h('tr', null, columns.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: c.numeric ? 'num' : null }, c.format ? c.format(row[c.key], row) : (row[c.key] ?? '–'))))))));
}
