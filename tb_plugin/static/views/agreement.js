// Agreement between models (the paper's Figure 1, right): per selected run's agreement study, the models as points
// of a t-SNE of how often each two agree on the most likely character (colour: the unit, size: the parameters,
// shape: the depth), beside the matrix itself as a heat map (darker: more agreement).
import {api, el, formatCount, keyboardPoints, message, panelLabel, replace, requestedRunStep} from '../common.js';

// Colour per unit, and for any other. A Map, not an object: units come from the server, and one named
// `constructor` or `__proto__` must stay data.
const UNIT_COLORS = new Map([['lstm', '#1f77b4'], ['gru', '#2ca02c'], ['rnn', '#d62728'], ['nlstm', '#9467bd']]);
const OTHER_COLOR = '#7f7f7f';
const SHAPES = ['circle', 'square', 'triangle'];     // 1 layer, 2 layers, 3 or more
const PLOT = 300;                   // px of the scatter's plot area, each way
const PAD = 22;                     // px between the outermost points and the plot area's edge
const RADII = [5, 14];              // px of the marker of the fewest and of the most parameters
const LABELS = 112;                 // px left of the heat map for its row labels (and above it for its columns)
const NAME = 16;                    // characters of a model name a label shows (its <title> has the whole)
const LOW = [247, 251, 255];        // the heat map's colour of the least agreement shown ...
const HIGH = [8, 48, 107];          // ... and of complete agreement (matplotlib's Blues)

export function createView(app) {
  const status = el('div', {class: 'krnn-status'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'},
    'Hover a model or a cell of the matrix to see its name and agreement.');
  const panels = el('div', {class: 'krnn-panels krnn-agreement-panels'});
  const element = el('div', {class: 'krnn-view krnn-agreement'}, status, readout, panels);
  const state = {run: null, step: null};    // set by open(): only that run, at that step (null: every run, latest)
  let shown = [];                     // the answers drawn now (or {error, run})
  let request = 0;

  async function load() {
    const runs = app.selectedRuns().filter((r) => r.agreement && (state.run === null || r.run === state.run));
    const token = ++request;
    if (!runs.length) {
      shown = [];
      replace(panels);
      replace(status, message('info', state.run !== null
        ? `The run ${state.run} is not ticked or has no agreement study; tick it, or another run.`
        : 'None of the selected runs has an agreement study (how often models agree on the most likely character, '
          + 'Figure 1 right); tick another run.'));
      return;
    }
    replace(status);
    const results = await Promise.all(runs.map((r) => api('agreement', {run: r.run, step: state.step})
      .catch((error) => ({error, run: r.run}))));
    if (token !== request) return;
    shown = results;
    replace(panels, results.map((data) => data.error
      ? el('figure', {class: 'krnn-panel krnn-agreement-panel'}, el('figcaption', {}, data.run), message('error', data.error.message))
      : panel(data, app.runColor(data.run))));
  }

  // `node` shows `label` in the readout while hovered.
  function hovered(node, label) {
    node.addEventListener('mouseenter', () => { readout.textContent = label; });
    return node;
  }

  function panel(data, runColor) {
    const n = data.models.length;
    return el('figure', {class: 'krnn-panel krnn-agreement-panel', 'data-run': data.run},
      el('figcaption', {}, el('span', {class: 'krnn-swatch', style: `background:${runColor}`}), data.run),
      el('p', {class: 'krnn-hint'}, `${n} models: the fraction of ${formatCount(data.characters)} characters`
        + `${data.split ? ` of the ${data.split} split` : ''} on which each two agree on the most likely next `
        + `character; step ${formatCount(data.step)}`),
      el('div', {class: 'krnn-agreement-charts'},
        data.embedding.length ? scatter(data) : el('p', {class: 'krnn-hint krnn-agreement-note'},
          `No t-SNE of the models: it needs at least 3 models, this study has ${n}.`),
        heatMap(data)));
  }

  // The t-SNE points, one per model, x right and y up on one scale (distances keep their proportions), with a legend.
  function scatter(data) {
    const xs = data.embedding.map(([x]) => x);
    const ys = data.embedding.map(([, y]) => y);
    const [xLow, xHigh, yLow, yHigh] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const range = Math.max(xHigh - xLow, yHigh - yLow);
    const scale = range > 0 ? (PLOT - 2 * PAD) / range : 0;
    const x = (value) => PLOT / 2 + (value - (xLow + xHigh) / 2) * scale;
    const y = (value) => PLOT / 2 - (value - (yLow + yHigh) / 2) * scale;
    const sizes = radii(data.models);
    const svg = el('svg', {width: PLOT, height: PLOT, viewBox: `0 0 ${PLOT} ${PLOT}`, class: 'krnn-agreement-scatter',
                           role: 'img', 'aria-label': `t-SNE of the models by agreement, ${data.run}`},
      el('rect', {x: 0.5, y: 0.5, width: PLOT - 1, height: PLOT - 1, class: 'krnn-plot-area'}));
    const order = data.models.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);   // small points on top
    for (const i of order) {
      const model = data.models[i];
      const [px, py] = data.embedding[i];
      const label = `${model.name}: ${model.unit || 'unit not named'}, ${model.layers} layer`
        + `${model.layers === 1 ? '' : 's'}, ${formatCount(model.params)} parameters`;
      const point = marker(shapeOf(model.layers), x(px), y(py), sizes[i],
                           {fill: unitColor(model.unit), class: 'krnn-agreement-point', 'data-model': i});
      point.append(el('title', {}, label));
      svg.append(hovered(point, label));
    }
    const units = [...new Set(data.models.map((m) => m.unit))];
    const depths = [...new Set(data.models.map((m) => shapeOf(m.layers)))];
    const params = data.models.map((m) => m.params);
    const icon = (shape, color) => el('svg', {width: 14, height: 14, viewBox: '0 0 14 14', class: 'krnn-legend-icon'},
      marker(shape, 7, 7, 5.5, {fill: color}));
    keyboardPoints(svg, '.krnn-agreement-point');
    return el('div', {class: 'krnn-agreement-map'}, svg,
      el('div', {class: 'krnn-legend-row krnn-agreement-legend'},
        units.map((unit) => el('span', {class: 'krnn-legend-item', 'data-unit': unit},
          el('span', {class: 'krnn-swatch', style: `background:${unitColor(unit)}`}), unit || 'unit not named')),
        depths.map((shape) => el('span', {class: 'krnn-legend-item', 'data-shape': shape}, icon(shape, OTHER_COLOR),
          DEPTHS.get(shape))),
        el('span', {class: 'krnn-legend-item krnn-hint'}, `size: ${formatCount(Math.min(...params))} to `
          + `${formatCount(Math.max(...params))} parameters`)));
  }

  // The matrix as n x n cells, row i column j its agreement of model i with model j, labelled with the names.
  function heatMap(data) {
    const n = data.models.length;
    const names = data.models.map((m) => m.name);
    const shown = withoutCommonPrefix(names);
    const cell = Math.max(4, Math.min(32, Math.floor(320 / n)));
    const labelled = cell >= 9;                       // names fit beside cells this tall
    const top = labelled ? LABELS * 0.75 : 8;
    const left = labelled ? LABELS : 8;
    const width = left + n * cell + (labelled ? LABELS * 0.7 : 8);
    const height = top + n * cell + 8;
    // the scale spans the agreements between different models (the 1.0 diagonal would squeeze them together)
    const others = data.matrix.flatMap((row, i) => row.filter((_, j) => j !== i));
    const low = others.length ? Math.min(...others) : 1;
    const high = others.length ? Math.max(...others) : 1;
    const color = (value) => rgb(high > low ? Math.max(0, Math.min(1, (value - low) / (high - low))) : 1);
    const svg = el('svg', {width, height, viewBox: `0 0 ${width} ${height}`, class: 'krnn-agreement-matrix',
                           role: 'img', 'aria-label': `agreement between the models, ${data.run}`});
    data.matrix.forEach((row, i) => row.forEach((value, j) => {
      const label = `${names[i]} vs ${names[j]}: ${value.toFixed(3)}`;
      svg.append(hovered(el('rect', {x: left + j * cell, y: top + i * cell, width: cell, height: cell,
                                     fill: color(value), class: 'krnn-agreement-cell', 'data-row': i, 'data-column': j},
                            el('title', {}, label)), label));
    }));
    if (labelled) {
      names.forEach((name, i) => {
        const middle = (i + 0.5) * cell;
        svg.append(
          el('text', {x: left - 5, y: top + middle + 3.5, class: 'krnn-tick krnn-agreement-label', 'text-anchor': 'end',
                      'data-row': i}, shortName(shown[i]), el('title', {}, name)),
          el('text', {x: left + middle, y: top - 6, class: 'krnn-tick krnn-agreement-label',
                      transform: `rotate(-45 ${left + middle} ${top - 6})`, 'data-column': i},
             shortName(shown[i]), el('title', {}, name)));
      });
    }
    return el('div', {class: 'krnn-agreement-heat'}, svg,
      el('div', {class: 'krnn-legend-row'}, el('span', {class: 'krnn-legend', 'data-testid': 'agreement-scale'},
        low.toFixed(3), el('span', {class: 'krnn-legend-bar',
                                    style: `background: linear-gradient(to right, ${color(low)}, ${color(high)})`}),
        `${high.toFixed(3)} agree (between different models; the diagonal is 1)`)));
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

  // What the view shows now, for the export: the runs, their step (when one), models and characters compared.
  function caption() {
    const drawn = shown.filter((data) => !data.error);
    const steps = [...new Set(drawn.map((data) => data.step))];
    const details = drawn.map((data) => `${panelLabel(data, shown.length, steps.length)}`
      + `${data.models.length} models compared on ${formatCount(data.characters)} characters`
      + `${data.split ? ` of the ${data.split} split` : ''}`);
    return {title: 'Agreement', run: shown.map((data) => data.run).join(', ') || state.run,
            step: steps.length === 1 ? steps[0] : state.step, layer: null, cell: null, details: details.join('; ')};
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step};
  }

  return {element, refresh, open, caption, linkState};
}

const DEPTHS = new Map([['circle', '1 layer'], ['square', '2 layers'], ['triangle', '3+ layers']]);

function unitColor(unit) {
  return UNIT_COLORS.get(String(unit).toLowerCase()) || OTHER_COLOR;
}

function shapeOf(layers) {
  return SHAPES[Math.min(Math.max(layers, 1), SHAPES.length) - 1];
}

// Marker radii in px: from RADII[0] (the fewest parameters) to RADII[1] (the most) on a square-root scale.
function radii(models) {
  const roots = models.map((m) => Math.sqrt(m.params));
  const [low, high] = [Math.min(...roots), Math.max(...roots)];
  return roots.map((root) => (high > low ? RADII[0] + (RADII[1] - RADII[0]) * (root - low) / (high - low)
    : (RADII[0] + RADII[1]) / 2));
}

// A circle, square or triangle of about radius r centred on (x, y) (its bounding box's centre), data-shape its kind.
function marker(shape, x, y, r, attributes) {
  const at = (value) => value.toFixed(2);
  const common = {...attributes, 'data-shape': shape, 'data-r': r.toFixed(2)};
  if (shape === 'circle') return el('circle', {...common, cx: at(x), cy: at(y), r: at(r)});
  if (shape === 'square') {
    const side = 1.8 * r;
    return el('rect', {...common, x: at(x - side / 2), y: at(y - side / 2), width: at(side), height: at(side)});
  }
  const half = 1.1 * r;
  const rise = half * Math.sqrt(3) / 2;
  return el('path', {...common, d: `M${at(x)},${at(y - rise)} L${at(x + half)},${at(y + rise)} `
                                   + `L${at(x - half)},${at(y + rise)} Z`});
}

// The heat map's colour at `t` (0: the least agreement, 1: complete).
function rgb(t) {
  const mix = LOW.map((low, k) => Math.round(low + (HIGH[k] - low) * Math.max(0, Math.min(1, t))));
  return `rgb(${mix.join(', ')})`;
}

// The names without the start they all share up to a '-', '_', '/' or space ("war_and_peace-50k-lstm-1" ->
// "50k-lstm-1" beside "lstm-2x256"), so short labels still tell them apart.
function withoutCommonPrefix(names) {
  if (names.length < 2) return names;
  let common = names[0];
  for (const name of names) while (!name.startsWith(common)) common = common.slice(0, -1);
  const cut = Math.max(...['-', '_', '/', ' '].map((c) => common.lastIndexOf(c))) + 1;
  return names.map((name) => name.slice(cut) || name);
}

// A name cut to NAME characters for a label.
function shortName(name) {
  const characters = Array.from(name);
  return characters.length > NAME ? `${characters.slice(0, NAME - 1).join('')}…` : name;
}
