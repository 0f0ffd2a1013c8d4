// Gate saturation (the paper's Figure 3): per gate, a point per unit at (fraction right-, fraction left-saturated),
// coloured by layer, with the x + y = 1 diagonal. Layers share one scatter per gate ("together") or get one scatter
// each, side by side on the same axes. "▶ Play" steps through the run's analysed steps, moving each unit's point
// (the same element, keyed by layer and unit, so the motion reads as training). Clicking a unit opens its text.
import {api, el, formatCount, keyboardPoints, message, replace, select} from '../common.js';

const LAYER_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];   // matplotlib's, as plots.py
// A Map: gate names come from the server (a gate named `constructor` must stay a name).
const GATE_NAMES = new Map([['i', 'input gate'], ['f', 'forget gate'], ['o', 'output gate'], ['r', 'reset gate'],
                            ['z', 'update gate']]);
const SIZE = 340;                   // px of a scatter with every layer in it (3 fit a 1440 px screen)
const SIDE_SIZE = 280;              // px of one layer's scatter, side by side
const MARGIN = {left: 46, right: 12, top: 12, bottom: 40};
const LAYOUTS = [['together', 'together'], ['side-by-side', 'side by side']];
const PLAY_INTERVAL = 1000;         // ms a step stays on screen while playing, counted once it is drawn

export function createView(app) {
  const hidden = new Set();          // layers whose points are hidden (the legend's toggles)
  const state = {run: null, step: null, layout: 'together'};
  const controls = el('div', {class: 'krnn-controls'});
  const status = el('div', {class: 'krnn-status'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'}, 'Hover a point (or Tab to a chart, then the arrow keys) to name its unit; click it (Enter) to see its text.');
  const panels = el('div', {class: 'krnn-panels'});
  const element = el('div', {class: 'krnn-view krnn-saturation'}, controls, status, readout, panels);
  let request = 0;
  let shown = null;                  // what is drawn: {data, run, layout, layers, points: Map key -> circle}
  let playing = false;
  let timer = null;

  const candidates = () => app.selectedRuns().filter((r) => r.saturation);

  async function load() {
    clearTimeout(timer);
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runs.find((r) => r.run === state.run);
    if (!run) {
      stop();
      shown = null;
      replace(controls);
      replace(panels);
      replace(status, message('info', 'None of the selected runs has saturation summaries: run '
        + 'scripts/analyze.py on a trained LSTM or GRU, or tick another run.'));
      return;
    }
    const steps = run.saturation.steps;
    if (!steps.includes(state.step)) state.step = steps[steps.length - 1];
    drawControls(runs, steps);
    const token = ++request;
    try {
      const data = await api('saturation', {run: state.run, step: state.step});
      if (token !== request) return;
      replace(status);
      if (!movePoints(data, run)) draw(data, run);
      if (playing) schedule(steps);
    } catch (error) {
      if (token !== request) return;
      stop();
      shown = null;
      replace(panels);
      replace(status, message('error', error.message));
    }
  }

  // Run, Step (with Play) and Layers; a run or step picked by hand stops the playing.
  function drawControls(runs, steps) {
    const last = steps.length < 2;
    const play = el('button', {type: 'button', class: 'krnn-play', 'data-action': playing ? 'pause' : 'play',
                               disabled: last ? 'disabled' : null,
                               title: playing ? 'Stop at this step' : 'Show each step in turn, a second each',
                               click: () => (playing ? pause() : start(steps))}, playing ? '❚❚ Pause' : '▶ Play');
    replace(controls,
      select('Run', runs.map((r) => [r.run, r.run]), state.run, (v) => { stop(); state.run = v; load(); }, 'run'),
      select('Step', steps.map((s) => [s, formatCount(s)]), state.step,
             (v) => { stop(); state.step = Number(v); load(); }, 'step'),
      el('div', {class: 'krnn-field krnn-play-field'}, el('span', {}, ' '), play),
      select('Layers', LAYOUTS, state.layout, (v) => { state.layout = layoutOf(v); load(); }, 'layout'));
  }

  // Play from the current step (from the first when at the last).
  function start(steps) {
    if (steps.indexOf(state.step) >= steps.length - 1) state.step = steps[0];
    playing = true;
    load();
  }

  function pause() {
    stop();
    load();
  }

  function stop() {
    playing = false;
    clearTimeout(timer);
  }

  // While playing: the next step a second after this one is drawn; stops at the last (or when the view is left).
  function schedule(steps) {
    const next = steps.indexOf(state.step) + 1;
    if (next <= 0 || next >= steps.length) {
      stop();
      drawControls(candidates(), steps);
      return;
    }
    timer = setTimeout(() => {
      if (!playing) return;
      if (!element.isConnected) { stop(); return; }
      state.step = steps[next];
      load();
    }, PLAY_INTERVAL);
  }

  // Draws every panel afresh: a scatter per gate, or per gate one scatter per layer.
  function draw(data, run) {
    const layers = layerOrder(data);
    const points = new Map();
    const figures = data.gates.map((gate) => (state.layout === 'side-by-side'
      ? gateRow(data, gate, layers, run, points)
      : gateFigure(data, gate, layers, run, points)));
    const [low, high] = data.thresholds;
    replace(panels, el('p', {class: 'krnn-hint krnn-saturation-key', 'data-testid': 'saturation-key'},
      `Each point is a unit: x the fraction of characters where its gate is right-saturated (> ${high}), y the `
      + `fraction where it is left-saturated (< ${low}), the paper's Figure 3 thresholds.`), figures, layerLegend(layers));
    shown = {data, run: run.run, layout: state.layout, layers, points};
    showLayers();
  }

  // Moves the drawn points to `data`'s step when it has the same gates, layers and units as what is drawn (so
  // each circle glides); false when the panels must be drawn afresh.
  function movePoints(data, run) {
    if (!shown || shown.run !== run.run || shown.layout !== state.layout) return false;
    const wanted = new Map();
    for (const gate of data.gates) {
      for (const layer of gate.layers) {
        layer.left.forEach((left, unit) => {
          const right = layer.right[unit];
          if (left !== null && right !== null) wanted.set(pointKey(gate.gate, layer.layer, unit), {layer, unit});
        });
      }
    }
    if (wanted.size !== shown.points.size || [...wanted.keys()].some((key) => !shown.points.has(key))) return false;
    const size = state.layout === 'side-by-side' ? SIDE_SIZE : SIZE;
    for (const [key, {layer, unit}] of wanted) {
      const point = shown.points.get(key);
      const left = layer.left[unit];
      const right = layer.right[unit];
      point.setAttribute('cx', scaleX(size)(right));
      point.setAttribute('cy', scaleY(size)(left));
      point.firstChild.textContent = pointLabel(layer.layer, unit, left, right);
    }
    shown.data = data;
    return true;
  }

  // "together": one figure per gate, every layer's units in one scatter.
  function gateFigure(data, gate, layers, run, points) {
    const units = gate.layers.reduce((n, l) => n + l.units, 0);
    return el('figure', {class: 'krnn-panel'},
      el('figcaption', {}, `${gateTitle(gate.gate)} (${formatCount(units)} units)`),
      scatter(gate, gate.layers, layers, run, points, SIZE));
  }

  // "side by side": one figure per gate holding one scatter per layer, each titled with its layer.
  function gateRow(data, gate, layers, run, points) {
    const units = gate.layers.reduce((n, l) => n + l.units, 0);
    return el('figure', {class: 'krnn-panel krnn-gate-row', 'data-gate': gate.gate},
      el('figcaption', {}, `${gateTitle(gate.gate)} (${formatCount(units)} units)`),
      el('div', {class: 'krnn-layer-scatters'},
        gate.layers.map((layer) => el('div', {class: 'krnn-layer-scatter', 'data-layer': layer.layer},
          el('div', {class: 'krnn-layer-title'},
             `${layer.layer} (${formatCount(layer.units)} units)`),
          scatter(gate, [layer], layers, run, points, SIDE_SIZE)))));
  }

  // One scatter of `gateLayers` (some layers of one gate) as SVG, size x size px, axes 0..1 on both sides.
  function scatter(gate, gateLayers, layers, run, points, size) {
    const inner = size - MARGIN.left - MARGIN.right;
    const x = scaleX(size);
    const y = scaleY(size);
    const single = gateLayers.length === 1 && state.layout === 'side-by-side';
    const svg = el('svg', {width: size, height: size, viewBox: `0 0 ${size} ${size}`, class: 'krnn-scatter',
                           'data-gate': gate.gate, 'data-layer': single ? gateLayers[0].layer : null, role: 'img',
                           'aria-label': `${gateTitle(gate.gate)}${single ? `, ${gateLayers[0].layer}` : ''}`});
    svg.append(el('rect', {x: x(0), y: y(1), width: inner, height: inner, class: 'krnn-plot-area'}));
    for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
      svg.append(el('line', {x1: x(tick), x2: x(tick), y1: y(0), y2: y(0) + 4, class: 'krnn-axis'}),
        el('text', {x: x(tick), y: y(0) + 15, class: 'krnn-tick', 'text-anchor': 'middle'}, tick.toFixed(1)),
        el('line', {x1: x(0) - 4, x2: x(0), y1: y(tick), y2: y(tick), class: 'krnn-axis'}),
        el('text', {x: x(0) - 7, y: y(tick) + 4, class: 'krnn-tick', 'text-anchor': 'end'}, tick.toFixed(1)));
    }
    svg.append(el('line', {x1: x(0), y1: y(1), x2: x(1), y2: y(0), class: 'krnn-diagonal'}),
      el('text', {x: x(0.5), y: size - 6, class: 'krnn-axis-label', 'text-anchor': 'middle'}, 'fraction right-saturated'),
      el('text', {x: 12, y: y(0.5), class: 'krnn-axis-label', 'text-anchor': 'middle',
                  transform: `rotate(-90 12 ${y(0.5)})`}, 'fraction left-saturated'));
    for (const layer of gateLayers) {
      const color = LAYER_COLORS[Math.max(0, layers.indexOf(layer.layer)) % LAYER_COLORS.length];
      layer.left.forEach((left, unit) => {
        const right = layer.right[unit];
        if (left === null || right === null) return;
        const point = el('circle', {cx: x(right), cy: y(left), r: 3.2, fill: color, class: 'krnn-point',
                                    'data-layer': layer.layer, 'data-unit': unit},
                         el('title', {}, pointLabel(layer.layer, unit, left, right)));
        point.addEventListener('mouseenter', () => {
          readout.textContent = `${gateTitle(gate.gate)} · ${point.firstChild.textContent}`;
        });
        point.addEventListener('click', () => openUnit(run, gate.gate, layer.layer, unit));
        points.set(pointKey(gate.gate, layer.layer, unit), point);
        svg.append(point);
      });
    }
    return keyboardPoints(svg, 'circle.krnn-point', true);
  }

  // Opens a unit in the colored text at the step shown: its gate's values when summarised, else its cell state.
  function openUnit(run, gate, layer, unit) {
    stop();
    app.show('text', {
      run: run.run, layer, cell: unit, step: shown ? shown.data.step : state.step,
      name: run.activations.some((a) => a.layer === layer && a.name === gate) ? gate : 'c'});
  }

  // A toggle per layer, so a layer drawn later never hides an earlier one for good.
  function layerLegend(layers) {
    return el('div', {class: 'krnn-layer-legend'}, el('span', {}, 'Show layers:'), layers.map((layer, i) => {
      const toggle = el('button', {type: 'button', class: 'krnn-legend-item krnn-layer-toggle',
                                   'aria-pressed': hidden.has(layer) ? 'false' : 'true', 'data-layer': layer,
                                   click: () => { hidden.has(layer) ? hidden.delete(layer) : hidden.add(layer);
                                                  toggle.setAttribute('aria-pressed', hidden.has(layer) ? 'false' : 'true');
                                                  showLayers(); }},
        el('span', {class: 'krnn-swatch', style: `background:${LAYER_COLORS[i % LAYER_COLORS.length]}`}), layer);
      return toggle;
    }));
  }

  // Hides the points (and side by side, the scatters) of the layers in `hidden` (compared as strings: a layer name
  // is data, never a selector).
  function showLayers() {
    for (const item of panels.querySelectorAll('circle.krnn-point, div.krnn-layer-scatter')) {
      item.style.display = hidden.has(item.getAttribute('data-layer')) ? 'none' : '';
    }
  }

  // What the view shows now, for the export.
  function caption() {
    if (!shown) return {title: 'Saturation', run: state.run, step: null, layer: null, cell: null, details: ''};
    const visible = shown.layers.filter((layer) => !hidden.has(layer));
    const [low, high] = shown.data.thresholds;
    const layout = state.layout === 'side-by-side' ? 'layers side by side' : 'layers together';
    return {title: 'Saturation', run: shown.run, step: shown.data.step, layer: visible.length === 1 ? visible[0] : null,
            cell: null, details: `gates ${shown.data.gates.map((g) => g.gate).join(', ')}; ${layout}; `
              + `left < ${low}, right > ${high}`};
  }

  function open(params) {
    stop();
    for (const key of ['run', 'step', 'layout']) if (params && Object.hasOwn(params, key)) state[key] = params[key];
    state.layout = layoutOf(state.layout);
    if (state.step !== null) state.step = Number(state.step);
    return load();
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step, layout: state.layout};
  }

  return {element, refresh: load, open, caption, linkState};
}

// The layers of a saturation answer in layer_index order.
function layerOrder(data) {
  return [...new Map(data.gates.flatMap((g) => g.layers).map((l) => [l.layer, l.layer_index])).entries()]
    .sort((a, b) => a[1] - b[1]).map(([layer]) => layer);
}

// 'side-by-side' for any way of asking for it ('side', 'side by side'), else 'together'.
function layoutOf(value) {
  return /^side/.test(String(value)) ? 'side-by-side' : 'together';
}

// x of a fraction right-saturated, y of a fraction left-saturated (up is more), in a size x size scatter.
function scaleX(size) {
  return (fraction) => MARGIN.left + fraction * (size - MARGIN.left - MARGIN.right);
}

function scaleY(size) {
  return (fraction) => MARGIN.top + (1 - fraction) * (size - MARGIN.left - MARGIN.right);
}

// A unit's point across steps: the same key, so the same circle, in every step.
function pointKey(gate, layer, unit) {
  return JSON.stringify([gate, layer, unit]);
}

function pointLabel(layer, unit, left, right) {
  return `${layer} unit ${unit}: left ${left.toFixed(3)}, right ${right.toFixed(3)}`;
}

function gateTitle(gate) {
  return GATE_NAMES.has(gate) ? `${GATE_NAMES.get(gate)} ${gate}` : gate;
}
