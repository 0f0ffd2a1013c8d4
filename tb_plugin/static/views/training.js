// Over training: how interpretable cells emerge. For a run whose cell ranking was written at several training steps,
// a line chart of each probe feature's best |r| (its best-correlated cell's) against the step, the threshold as a
// dashed line, and a table of the first step each feature's best cell reaches the threshold and its best cell at the
// latest step (a click opens that cell's colored text at that step). Every name reaches the page as text.
import {api, el, formatCount, message, missingStepsNote, replace, select} from '../common.js';

const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                       '#bcbd22', '#17becf'];                // matplotlib's tab10
const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = {left: 52, right: 20, top: 14, bottom: 44};
const DEFAULT_THRESHOLD = 0.5;

export function createView(app) {
  const state = {run: null, threshold: DEFAULT_THRESHOLD};
  const controls = el('div', {class: 'krnn-controls'});
  const status = el('div', {class: 'krnn-status'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'},
    'Hover a point to see its feature, step, r and cell.');
  const body = el('div', {class: 'krnn-training-body'});
  const element = el('div', {class: 'krnn-view krnn-training'}, controls, status, readout, body);
  let shown = null;                  // the emergence answer drawn now
  let request = 0;

  const candidates = () => app.selectedRuns().filter((r) => r.training);

  async function load() {
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runs.find((r) => r.run === state.run);
    const token = ++request;
    if (!run) {
      shown = null;
      replace(controls);
      replace(body);
      replace(status, message('info', 'None of the selected runs has a cell ranking at two or more training steps '
        + '(scripts/analyze.py on checkpoints of one training writes one per step); tick another run.'));
      return;
    }
    drawControls(runs);
    replace(status, el('p', {class: 'krnn-hint'}, 'Loading…'));
    try {
      const data = await api('emergence', {run: state.run, threshold: state.threshold});
      if (token !== request) return;
      shown = data;
      replace(status);
      drawData(data, run);
    } catch (error) {
      if (token !== request) return;
      shown = null;
      replace(body);
      replace(status, message('error', error.message));
    }
  }

  // Run (among those with training data) and the threshold on |r|.
  function drawControls(runs) {
    const threshold = el('input', {type: 'number', name: 'threshold', min: 0, max: 1, step: 0.05,
                                   value: state.threshold, class: 'krnn-threshold-input',
                                   change: () => { state.threshold = threshold.value; load(); }});
    replace(controls,
      select('Run', runs.map((r) => [r.run, r.run]), state.run, (v) => { state.run = v; load(); }, 'run'),
      el('label', {class: 'krnn-field'}, el('span', {}, 'Threshold on |r|'), threshold));
  }

  function drawData(data, run) {
    if (!data.features.length || !data.steps.length) {
      replace(body, message('info', `The cell rankings of ${data.run} name no feature.`));
      return;
    }
    replace(body, missingStepsNote(run),
      el('p', {class: 'krnn-hint'}, `Best |r| per feature (${data.statistic || 'correlation'}) at each of `
        + `${formatCount(data.steps.length)} steps; dashed: the threshold ${data.threshold}.`),
      data.features_total > data.features.length
        ? el('p', {class: 'krnn-hint', 'data-testid': 'features-shown'}, `The ${formatCount(data.features.length)} `
          + `features with the strongest |r| are charted, of ${formatCount(data.features_total)} ranked.`) : null,
      el('figure', {class: 'krnn-panel krnn-training-panel'}, chart(data), legend(data)),
      table(data, run));
  }

  // The line chart: x the step, y best |r| (0..1), a series per feature (a null r leaves a gap).
  function chart(data) {
    const steps = data.steps;
    const first = steps[0];
    const last = steps[steps.length - 1];
    const inner = {width: WIDTH - MARGIN.left - MARGIN.right, height: HEIGHT - MARGIN.top - MARGIN.bottom};
    const x = (step) => MARGIN.left + (last === first ? 0.5 : (step - first) / (last - first)) * inner.width;
    const y = (value) => MARGIN.top + (1 - value) * inner.height;
    const svg = el('svg', {width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img',
                           class: 'krnn-training-chart', 'aria-label': `best |r| per feature against step, ${data.run}`});
    svg.append(el('rect', {x: MARGIN.left, y: MARGIN.top, width: inner.width, height: inner.height,
                           class: 'krnn-plot-area'}));
    for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
      svg.append(el('line', {x1: MARGIN.left - 4, x2: MARGIN.left + inner.width, y1: y(tick), y2: y(tick),
                             class: tick > 0 && tick < 1 ? 'krnn-grid' : 'krnn-axis'}),
        el('text', {x: MARGIN.left - 7, y: y(tick) + 4, class: 'krnn-tick', 'text-anchor': 'end'}, tick.toFixed(1)));
    }
    for (const step of stepTicks(steps)) {
      svg.append(el('line', {x1: x(step), x2: x(step), y1: y(0), y2: y(0) + 4, class: 'krnn-axis'}),
        el('text', {x: x(step), y: y(0) + 16, class: 'krnn-tick krnn-step-tick', 'text-anchor': 'middle'},
           formatCount(step)));
    }
    svg.append(
      el('text', {x: MARGIN.left + inner.width / 2, y: HEIGHT - 6, class: 'krnn-axis-label', 'text-anchor': 'middle'},
         'training step'),
      el('text', {x: 14, y: y(0.5), class: 'krnn-axis-label', 'text-anchor': 'middle',
                  transform: `rotate(-90 14 ${y(0.5)})`}, 'best |r|'),
      el('line', {x1: MARGIN.left, x2: MARGIN.left + inner.width, y1: y(data.threshold), y2: y(data.threshold),
                  class: 'krnn-threshold', 'data-threshold': data.threshold},
         el('title', {}, `threshold |r| = ${data.threshold}`)));
    data.features.forEach((feature, f) => svg.append(series(feature, seriesColor(f), x, y)));
    return el('div', {class: 'krnn-chart-scroll'}, svg);
  }

  // One feature's line and points; hovering a point names it in the readout (and its tooltip).
  function series(feature, color, x, y) {
    const group = el('g', {class: 'krnn-training-series', 'data-feature': feature.feature});
    let path = '';
    let joined = false;              // whether the step before had a point to join
    const points = [];
    for (const point of feature.points) {
      if (point.r === null) { joined = false; continue; }
      const magnitude = Math.abs(point.r);
      path += `${joined ? 'L' : 'M'}${x(point.step).toFixed(2)},${y(magnitude).toFixed(2)} `;
      joined = true;
      const label = `${feature.feature} · step ${formatCount(point.step)} · r ${signed(point.r)} · `
        + `${point.layer} cell ${point.cell}`;
      const circle = el('circle', {cx: x(point.step), cy: y(magnitude), r: 4, fill: color,
                                   class: 'krnn-point krnn-training-point', 'data-step': point.step,
                                   'data-r': point.r, 'data-layer': point.layer, 'data-cell': point.cell},
                        el('title', {}, label));
      circle.addEventListener('mouseenter', () => { readout.textContent = label; });
      points.push(circle);
    }
    group.append(el('path', {d: path.trim(), class: 'krnn-training-line', stroke: color}), ...points);
    return group;
  }

  function legend(data) {
    return el('div', {class: 'krnn-layer-legend krnn-training-legend'}, data.features.map((feature, f) =>
      el('span', {class: 'krnn-legend-item', 'data-feature': feature.feature, title: feature.description},
         el('span', {class: 'krnn-swatch', style: `background:${seriesColor(f)}`}), feature.feature)));
  }

  // Per feature: its first step over the threshold and its best cell at the latest step it was ranked.
  function table(data, run) {
    const latest = data.steps[data.steps.length - 1];
    return el('table', {class: 'krnn-table krnn-training-table'},
      el('thead', {}, el('tr', {},
        el('th', {}, 'Feature'), el('th', {}, `First step with |r| ≥ ${data.threshold}`),
        el('th', {}, `Best cell at step ${formatCount(latest)}`))),
      el('tbody', {}, data.features.map((feature, f) => el('tr', {
        'data-feature': feature.feature, 'data-first-step': feature.first_step === null ? '' : feature.first_step},
        el('td', {title: feature.description},
           el('span', {class: 'krnn-swatch', style: `background:${seriesColor(f)}`}), ' ', feature.feature),
        el('td', {class: 'krnn-first-step'}, feature.first_step === null ? 'not yet' : formatCount(feature.first_step)),
        el('td', {}, bestCell(feature, run, latest))))));
  }

  // The best cell at the latest step the feature was ranked, as a button opening its colored text there.
  function bestCell(feature, run, latest) {
    const point = [...feature.points].reverse().find((p) => p.r !== null);
    if (!point) return el('span', {class: 'krnn-hint'}, 'never ranked');
    const when = point.step === latest ? '' : ` (step ${formatCount(point.step)})`;
    return el('button', {type: 'button', class: 'krnn-cell-link krnn-best-cell', 'data-layer': point.layer,
                         'data-cell': point.cell, 'data-step': point.step,
                         title: `Open ${point.layer} cell ${point.cell} in the colored text at step ${point.step}`,
                         click: () => app.show('text', {run: run.run, step: point.step, layer: point.layer,
                                                        cell: point.cell, name: cellState(run, point.layer)})},
      `${point.layer} · cell ${point.cell} · r ${signed(point.r)}${when}`);
  }

  // What the view shows now, for the export.
  function caption() {
    const latest = shown && shown.steps.length ? shown.steps[shown.steps.length - 1] : null;
    return {title: 'Over training', run: shown ? shown.run : state.run, step: latest, layer: null, cell: null,
            details: `best |r| per feature against step; threshold ${shown ? shown.threshold : state.threshold}`};
  }

  function open(params) {
    for (const key of ['run', 'threshold']) if (params && Object.hasOwn(params, key)) state[key] = params[key];
    return load();
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, threshold: state.threshold};
  }

  return {element, refresh: load, open, caption, linkState};
}

// At most 8 step ticks: every step when few, else evenly spaced round numbers across them.
function stepTicks(steps) {
  if (steps.length <= 8) return steps;
  const first = steps[0];
  const last = steps[steps.length - 1];
  const rough = (last - first) / 6;
  const power = 10 ** Math.floor(Math.log10(rough));
  const spacing = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [];
  for (let tick = Math.ceil(first / spacing) * spacing; tick <= last; tick += spacing) ticks.push(tick);
  return ticks;
}

function seriesColor(index) {
  return SERIES_COLORS[index % SERIES_COLORS.length];
}

function signed(r) {
  return `${r >= 0 ? '+' : ''}${Number(r).toFixed(3)}`;
}

// The cell state of a layer when summarised (an LSTM's c), else its output h.
function cellState(run, layer) {
  return run.activations.some((a) => a.layer === layer && a.name === 'c') ? 'c' : 'h';
}
