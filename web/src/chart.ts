/* A bar chart drawn as SVG: one bar per [label, value] pair, value printed above it. */
import { h, svg } from './dom';

export function barChart(title: string, pairs: Array<[string, number]>, format: (v: number) => string): HTMLElement {
  const fig = h('figure', { class: 'chart', 'data-chart': title });
  fig.append(h('figcaption', {}, title));
  if (pairs.length === 0) {
    fig.append(h('p', { class: 'muted' }, 'No data'));
    return fig;
  }
  const width = 460, height = 220, pad = 28, bottom = 36;
  const max = Math.max(...pairs.map(([, v]) => v), 1);
  const slot = (width - 2 * pad) / pairs.length;
  const bar = Math.min(64, slot * 0.6);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, width, height });
  root.append(svg('line', { x1: pad, y1: height - bottom, x2: width - pad, y2: height - bottom, class: 'axis' }));
  pairs.forEach(([label, value], i) => {
    const hgt = ((height - bottom - pad) * value) / max;
    const x = pad + i * slot + (slot - bar) / 2, y = height - bottom - hgt;
    const rect = svg('rect', { x, y, width: bar, height: Math.max(hgt, 1), rx: 3, class: `bar bar-${i % 5}`, 'data-label': label, 'data-value': value });
    rect.append(svg('title', {}, `${label}: ${format(value)}`));
    root.append(rect,
      svg('text', { x: x + bar / 2, y: y - 6, 'text-anchor': 'middle', class: 'value' }, format(value)),
      svg('text', { x: x + bar / 2, y: height - bottom + 18, 'text-anchor': 'middle', class: 'label' }, label));
  });
  fig.append(root);
  return fig;
}
