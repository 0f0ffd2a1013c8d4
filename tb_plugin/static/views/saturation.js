// Gate saturation (the paper's Figure 3): per gate, a point per unit at (fraction right-, fraction left-saturated),
// coloured by layer, with the x + y = 1 diagonal. Clicking a unit opens it in the colored-text view.
import {api, el, formatCount, message, replace, select} from '../common.js';

const LAYER_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];   // matplotlib's, as plots.py
// A Map: gate names come from the server (a gate named `constructor` must stay a name).
const GATE_NAMES = new Map([['i', 'input gate'], ['f', 'forget gate'], ['o', 'output gate'], ['r', 'reset gate'],
                            ['z', 'update gate']]);
const SIZE = 300;
const MARGIN = {left: 46, right: 12, top: 12, bottom: 40};

export function createView(app) {
  const hidden = new Set();          // layers whose points are hidden (the legend's toggles)
  const state = {run: null, step: null};
  const controls = el('div', {class: 'krnn-controls'});
  const status = el('div', {class: 'krnn-status'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'}, 'Hover a point to name its unit; click it to see its text.');
  const panels = el('div', {class: 'krnn-panels'});
  const element = el('div', {class: 'krnn-view krnn-saturation'}, controls, status, readout, panels);
  let request = 0;

  const candidates = () => app.selectedRuns().filter((r) => r.saturation);

  async function load() {
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runs.find((r) => r.run === state.run);
    if (!run) {
      replace(controls);
      replace(panels);
      replace(status, message('info', 'None of the selected runs has saturation summaries: run '
        + 'scripts/analyze.py on a trained LSTM or GRU, or tick another run.'));
      return;
    }
    if (!run.saturation.steps.includes(state.step)) state.step = run.saturation.steps[run.saturation.steps.length - 1];
    replace(controls,
      select('Run', runs.map((r) => [r.run, r.run]), state.run, (v) => { state.run = v; load(); }, 'run'),
      select('Step', run.saturation.steps.map((s) => [s, formatCount(s)]), state.step,
             (v) => { state.step = Number(v); load(); }, 'step'));
    const token = ++request;
    try {
      const data = await api('saturation', {run: state.run, step: state.step});
      if (token !== request) return;
      replace(status);
      const layers = [...new Map(data.gates.flatMap((g) => g.layers).map((l) => [l.layer, l.layer_index])).entries()]
        .sort((a, b) => a[1] - b[1]).map(([layer]) => layer);
      replace(panels, data.gates.map((gate) => panel(data, gate, layers, run)),
        el('div', {class: 'krnn-layer-legend'}, el('span', {}, 'Show layers:'), layers.map((layer, i) => {
          // a toggle per layer, so a layer drawn later never hides an earlier one for good
          const toggle = el('button', {type: 'button', class: 'krnn-legend-item krnn-layer-toggle',
                                       'aria-pressed': hidden.has(layer) ? 'false' : 'true', 'data-layer': layer,
                                       click: () => { hidden.has(layer) ? hidden.delete(layer) : hidden.add(layer);
                                                      toggle.setAttribute('aria-pressed', hidden.has(layer) ? 'false' : 'true');
                                                      showLayers(); }},
            el('span', {class: 'krnn-swatch', style: `background:${LAYER_COLORS[i % LAYER_COLORS.length]}`}), layer);
          return toggle;
        })));
      showLayers();
    } catch (error) {
      if (token !== request) return;
      replace(panels);
      replace(status, message('error', error.message));
    }
  }

  // One gate's scatter plot as SVG.
  function panel(data, gate, layers, run) {
    const inner = SIZE - MARGIN.left - MARGIN.right;
    const x = (fraction) => MARGIN.left + fraction * inner;
    const y = (fraction) => MARGIN.top + (1 - fraction) * inner;
    const svg = el('svg', {width: SIZE, height: SIZE, viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'krnn-scatter',
                           'data-gate': gate.gate, role: 'img'});
    svg.append(el('rect', {x: x(0), y: y(1), width: inner, height: inner, class: 'krnn-plot-area'}));
    for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
      svg.append(el('line', {x1: x(tick), x2: x(tick), y1: y(0), y2: y(0) + 4, class: 'krnn-axis'}),
        el('text', {x: x(tick), y: y(0) + 15, class: 'krnn-tick', 'text-anchor': 'middle'}, tick.toFixed(1)),
        el('line', {x1: x(0) - 4, x2: x(0), y1: y(tick), y2: y(tick), class: 'krnn-axis'}),
        el('text', {x: x(0) - 7, y: y(tick) + 4, class: 'krnn-tick', 'text-anchor': 'end'}, tick.toFixed(1)));
    }
    svg.append(el('line', {x1: x(0), y1: y(1), x2: x(1), y2: y(0), class: 'krnn-diagonal'}),
      el('text', {x: x(0.5), y: SIZE - 6, class: 'krnn-axis-label', 'text-anchor': 'middle'}, 'fraction right-saturated'),
      el('text', {x: 12, y: y(0.5), class: 'krnn-axis-label', 'text-anchor': 'middle',
                  transform: `rotate(-90 12 ${y(0.5)})`}, 'fraction left-saturated'));
    for (const layer of gate.layers) {
      const color = LAYER_COLORS[Math.max(0, layers.indexOf(layer.layer)) % LAYER_COLORS.length];
      layer.left.forEach((left, unit) => {
        const right = layer.right[unit];
        if (left === null || right === null) return;
        const label = `${layer.layer} unit ${unit}: left ${left.toFixed(3)}, right ${right.toFixed(3)}`;
        const point = el('circle', {cx: x(right), cy: y(left), r: 3.2, fill: color, class: 'krnn-point',
                                    'data-layer': layer.layer, 'data-unit': unit},
                         el('title', {}, label));
        point.addEventListener('mouseenter', () => { readout.textContent = `${gateTitle(gate.gate)} · ${label}`; });
        point.addEventListener('click', () => app.show('text', {
          run: run.run, layer: layer.layer, cell: unit, step: data.step,
          name: run.activations.some((a) => a.layer === layer.layer && a.name === gate.gate) ? gate.gate : 'c'}));
        svg.append(point);
      });
    }
    const units = gate.layers.reduce((n, l) => n + l.units, 0);
    return el('figure', {class: 'krnn-panel'},
      el('figcaption', {}, `${gateTitle(gate.gate)} (${formatCount(units)} units)`), svg);
  }

  // Hides the points of the layers in `hidden` (compared as strings: a layer name is data, never a selector).
  function showLayers() {
    for (const point of panels.querySelectorAll('circle.krnn-point')) {
      point.style.display = hidden.has(point.getAttribute('data-layer')) ? 'none' : '';
    }
  }

  return {element, refresh: load, open: (params) => { Object.assign(state, params); return load(); }};
}

function gateTitle(gate) {
  return GATE_NAMES.has(gate) ? `${GATE_NAMES.get(gate)} ${gate}` : gate;
}
