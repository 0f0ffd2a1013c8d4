// Closing braces (the paper's Figure 5, left): for every `}` of the split its distance to the matching `{`, in
// buckets of 20 characters; per bucket each model's mean probability of the `}` (a series of points per model,
// empty buckets left as gaps) and, under the chart, the number of braces in the bucket. One panel per selected run.
import {api, el, formatCount, keyboardPoints, message, panelLabel, replace, requestedRunStep} from '../common.js';

const MODEL_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];   // matplotlib's, as plots.brace_figure
const PLOT_HEIGHT = 220;            // px of the probability axis
const COUNT_HEIGHT = 36;            // px of the tallest count bar
const MARGIN = {left: 52, right: 16, top: 14};

export function createView(app) {
  const status = el('div', {class: 'krnn-status'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'},
    'Hover a point to see its bucket, model, mean probability of } and number of braces.');
  const panels = el('div', {class: 'krnn-panels krnn-brace-panels'});
  const element = el('div', {class: 'krnn-view krnn-brace'}, status, readout, panels);
  const state = {run: null, step: null};    // set by open(): only that run, at that step (null: every run, latest)
  let shown = [];                     // the answers drawn now (or {error, run})
  let request = 0;

  async function load() {
    const runs = app.selectedRuns().filter((r) => r.brace && (state.run === null || r.run === state.run));
    const token = ++request;
    if (!runs.length) {
      shown = [];
      replace(panels);
      replace(status, message('info', state.run !== null
        ? `The run ${state.run} is not ticked or has no closing-brace study; tick it, or another run.`
        : 'None of the selected runs has a closing-brace study (scripts/analyze.py longrange writes one on code, '
          + 'such as linux_kernel); tick another run.'));
      return;
    }
    replace(status);
    const results = await Promise.all(runs.map((r) => api('brace', {run: r.run, step: state.step})
      .catch((error) => ({error, run: r.run}))));
    if (token !== request) return;
    shown = results;
    replace(panels, results.map((data) => data.error
      ? el('figure', {class: 'krnn-panel krnn-brace-panel'}, el('figcaption', {}, data.run), message('error', data.error.message))
      : panel(data, app.runColor(data.run))));
  }

  function panel(data, runColor) {
    const buckets = data.buckets;
    const band = Math.max(22, Math.min(60, 640 / Math.max(buckets.length, 1)));   // px per bucket
    const slanted = band < 56;                        // bucket names ("101-120") turn when they would touch
    const inner = band * buckets.length;
    const width = MARGIN.left + inner + MARGIN.right;
    const top = MARGIN.top;
    const bottom = top + PLOT_HEIGHT;                 // y of probability 0
    const countTop = bottom + (slanted ? 52 : 30);    // the count bars hang below the bucket names
    const height = countTop + COUNT_HEIGHT + 40;
    const x = (index) => MARGIN.left + (index + 0.5) * band;
    const y = (mean) => top + (1 - mean) * PLOT_HEIGHT;
    const svg = el('svg', {width, height, viewBox: `0 0 ${width} ${height}`, class: 'krnn-brace-chart', role: 'img',
                           'aria-label': `mean probability of } by distance to its {, ${data.run}`});
    svg.append(el('rect', {x: MARGIN.left, y: top, width: inner, height: PLOT_HEIGHT, class: 'krnn-plot-area'}));
    for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
      svg.append(el('line', {x1: MARGIN.left - 4, x2: MARGIN.left + inner, y1: y(tick), y2: y(tick),
                             class: tick > 0 && tick < 1 ? 'krnn-grid' : 'krnn-axis'}),
        el('text', {x: MARGIN.left - 7, y: y(tick) + 4, class: 'krnn-tick', 'text-anchor': 'end'}, tick.toFixed(1)));
    }
    svg.append(el('text', {x: 12, y: y(0.5), class: 'krnn-axis-label', 'text-anchor': 'middle',
                           transform: `rotate(-90 12 ${y(0.5)})`}, 'mean p(})'));
    const most = Math.max(1, ...buckets.map((b) => b.count));
    buckets.forEach((bucket, index) => {
      const name = `${bucket.start}-${bucket.end}`;
      svg.append(slanted
        ? el('text', {x: x(index), y: bottom + 12, class: 'krnn-tick krnn-bucket-label', 'text-anchor': 'end',
                      transform: `rotate(-40 ${x(index)} ${bottom + 12})`}, name)
        : el('text', {x: x(index), y: bottom + 15, class: 'krnn-tick krnn-bucket-label', 'text-anchor': 'middle'}, name));
      const bar = (bucket.count / most) * COUNT_HEIGHT;
      svg.append(el('rect', {x: x(index) - band * 0.3, y: countTop + COUNT_HEIGHT - bar, width: band * 0.6, height: bar,
                             class: 'krnn-count-bar', 'data-bucket': bucket.start},
                    el('title', {}, `${name} characters: ${formatCount(bucket.count)} braces`)),
        el('text', {x: x(index), y: countTop + COUNT_HEIGHT + 12, class: 'krnn-tick krnn-brace-count',
                    'text-anchor': 'middle', 'data-bucket': bucket.start}, formatCount(bucket.count)));
    });
    svg.append(el('text', {x: MARGIN.left - 7, y: countTop + COUNT_HEIGHT + 12, class: 'krnn-tick', 'text-anchor': 'end'},
                  'braces'),
      el('text', {x: MARGIN.left + inner / 2, y: height - 4, class: 'krnn-axis-label', 'text-anchor': 'middle'},
         'distance from } to its { (characters)'));
    data.models.forEach((model, m) => {
      const color = MODEL_COLORS[m % MODEL_COLORS.length];
      let path = '';
      let joined = false;                             // whether the bucket before had a point to join
      const points = [];
      buckets.forEach((bucket, index) => {
        const mean = bucket.count ? bucket.means[m] : null;
        if (mean === null) { joined = false; return; }
        path += `${joined ? 'L' : 'M'}${x(index).toFixed(2)},${y(mean).toFixed(2)} `;
        joined = true;
        const label = `${bucket.start}-${bucket.end} characters · ${model}: mean p(}) ${mean.toFixed(3)} · `
          + `${formatCount(bucket.count)} braces`;
        const point = el('circle', {cx: x(index), cy: y(mean), r: 4, fill: color, class: 'krnn-point krnn-brace-point',
                                    'data-model': m, 'data-bucket': bucket.start}, el('title', {}, label));
        point.addEventListener('mouseenter', () => { readout.textContent = label; });
        points.push(point);
      });
      svg.append(el('path', {d: path.trim(), class: 'krnn-brace-line', stroke: color, 'data-model': m}), ...points);
    });
    if (!buckets.length) {
      svg.append(el('text', {x: MARGIN.left + inner / 2, y: y(0.5), class: 'krnn-axis-label', 'text-anchor': 'middle'},
                    'no braces'));
    }
    const legend = el('div', {class: 'krnn-layer-legend krnn-brace-legend'}, data.models.map((model, m) =>
      el('span', {class: 'krnn-legend-item', 'data-model': m},
         el('span', {class: 'krnn-swatch', style: `background:${MODEL_COLORS[m % MODEL_COLORS.length]}`}), model)));
    return el('figure', {class: 'krnn-panel krnn-brace-panel', 'data-run': data.run},
      el('figcaption', {}, el('span', {class: 'krnn-swatch', style: `background:${runColor}`}), data.run),
      el('p', {class: 'krnn-hint'}, `${formatCount(data.braces)} closing braces matched to their {, in buckets of `
        + `${formatCount(data.bucket_width)} characters; step ${formatCount(data.step)}`
        + (data.farther ? `; ${formatCount(data.farther)} more beyond ${formatCount(data.longest)} characters, `
           + 'not shown' : '')),
      legend, el('div', {class: 'krnn-chart-scroll'}, keyboardPoints(svg, 'circle.krnn-brace-point')));
  }

  // Shows only params.run (when given) at params.step (when given); refresh() shows every ticked run again.
  function open(params = {}) {
    Object.assign(state, requestedRunStep(params));
    return load();
  }

  function refresh() {
    state.run = state.step = null;
    return load();
  }

  // What the view shows now, for the export: the runs, their step (when one), braces, buckets and models.
  function caption() {
    const drawn = shown.filter((data) => !data.error);
    const steps = [...new Set(drawn.map((data) => data.step))];
    const details = drawn.map((data) => `${panelLabel(data, shown.length, steps.length)}`
      + `${formatCount(data.braces)} closing braces in buckets of ${formatCount(data.bucket_width)} characters; `
      + `models ${data.models.join(', ')}`);
    return {title: 'Closing braces', run: shown.map((data) => data.run).join(', ') || state.run,
            step: steps.length === 1 ? steps[0] : state.step, layer: null, cell: null, details: details.join('; ')};
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step};
  }

  return {element, refresh, open, caption, linkState};
}
