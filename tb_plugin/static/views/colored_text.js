// Colored text (the paper's Figure 2): one cell's value per character as the character's background, paged.
import {api, coloredTextBlocks, el, formatCount, message, replace, select} from '../common.js';

const PAGE_SIZES = [2000, 5000, 10000, 20000];

export function createView(app) {
  // picked: the user (or a link) chose the cell; until then the view opens on the run's top-ranked cell
  const state = {run: null, step: null, layer: null, name: null, cell: 0, offset: 0, limit: 5000, picked: false};
  const controls = el('div', {class: 'krnn-controls'});
  const pager = el('div', {class: 'krnn-pager'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'}, 'Hover a character to see its value.');
  const textBox = el('pre', {class: 'krnn-text', 'data-testid': 'colored-text'});
  const status = el('div', {class: 'krnn-status'});
  const ranking = el('aside', {class: 'krnn-ranking'});
  const element = el('div', {class: 'krnn-view krnn-colored-text'}, controls, pager, status,
    el('div', {class: 'krnn-text-grid'}, el('div', {class: 'krnn-text-panel'}, readout, textBox), ranking));
  let page = null;
  let request = 0;
  let rankingKey = null;

  const candidates = () => app.selectedRuns().filter((r) => r.text && r.activations.length);
  const runEntry = () => candidates().find((r) => r.run === state.run);

  // Fills in whatever the state lacks from the run's summaries (first layer, its cell state, latest step).
  function settle() {
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runEntry();
    if (!run) return null;
    if (!run.text.steps.includes(state.step)) state.step = run.text.steps[run.text.steps.length - 1];
    const layers = [...new Set(run.activations.map((a) => a.layer))];
    if (!layers.includes(state.layer)) state.layer = layers[0];
    const names = run.activations.filter((a) => a.layer === state.layer).map((a) => a.name);
    if (!names.includes(state.name)) state.name = names.includes('c') ? 'c' : names[0];
    const series = run.activations.find((a) => a.layer === state.layer && a.name === state.name);
    state.cell = Math.min(Math.max(0, state.cell | 0), series.units - 1);
    state.offset = Math.min(state.offset, Math.max(0, run.text.length - 1));
    return {run, layers, names, series};
  }

  function drawControls({run, layers, names, series}) {
    const cell = el('input', {type: 'number', min: 0, max: series.units - 1, value: state.cell, name: 'cell',
                              class: 'krnn-cell-input',
                              change: () => { state.cell = Number(cell.value) || 0; state.picked = true; load(); }});
    replace(controls,
      select('Run', candidates().map((r) => [r.run, r.run]), state.run, (v) => { state.run = v; load(); }, 'run'),
      select('Step', run.text.steps.map((s) => [s, formatCount(s)]), state.step,
             (v) => { state.step = Number(v); load(); }, 'step'),
      select('Layer', layers.map((l) => [l, l]), state.layer, (v) => { state.layer = v; state.picked = true; load(); },
             'layer'),
      select('Show', names.map((n) => [n, describe(n)]), state.name, (v) => { state.name = v; load(); }, 'name'),
      el('label', {class: 'krnn-field'}, el('span', {}, `Cell (0–${series.units - 1})`), cell),
      select('Page', PAGE_SIZES.map((n) => [n, `${formatCount(n)} chars`]), state.limit,
             (v) => { state.limit = Number(v); load(); }, 'limit'));
  }

  function drawPager(length) {
    const last = Math.max(0, Math.floor((length - 1) / state.limit) * state.limit);
    const go = (offset) => { state.offset = Math.max(0, Math.min(last, offset)); load(); };
    const jump = el('input', {type: 'number', min: 0, max: Math.max(0, length - 1), value: state.offset,
                              name: 'offset', class: 'krnn-offset-input',
                              change: () => go(Math.floor((Number(jump.value) || 0) / state.limit) * state.limit)});
    const end = Math.min(length, state.offset + state.limit);
    replace(pager,
      el('button', {type: 'button', 'data-action': 'previous', disabled: state.offset === 0 ? 'disabled' : null,
                    click: () => go(state.offset - state.limit)}, '◀ Previous'),
      el('span', {class: 'krnn-range', 'data-testid': 'page-range'},
         `Characters ${formatCount(length ? state.offset + 1 : 0)}–${formatCount(end)} of ${formatCount(length)}`),
      el('button', {type: 'button', 'data-action': 'next', disabled: end >= length ? 'disabled' : null,
                    click: () => go(state.offset + state.limit)}, 'Next ▶'),
      el('label', {class: 'krnn-field'}, el('span', {}, 'Go to character'), jump),
      legend());
  }

  // The text of one page, coloured by its values (common.js: blocks of whole lines); the value shows on hover
  // (title and readout, set when hovered).
  function drawText(data) {
    data.characters = Array.from(data.text);     // code points, as the route counts them
    textBox.replaceChildren(coloredTextBlocks(data.characters, data.values, data.offset).fragment);
  }

  const shownValue = (value) => (value === null ? 'not a number' : `${value >= 0 ? '+' : ''}${value.toFixed(3)}`);

  function showValue(event) {
    const span = event.target.closest('span[data-index]');
    if (!span || !page) return;
    const index = Number(span.dataset.index);
    const position = index - page.offset;
    const character = page.characters[position];
    const value = shownValue(page.values[position]);
    span.title = value;
    readout.textContent = `Character ${formatCount(index)} ${JSON.stringify(character === undefined ? '' : character)}: `
      + `${value} (${page.layer} ${describe(page.name)} cell ${page.cell}, step ${formatCount(page.step)})`;
  }
  textBox.addEventListener('mouseover', showValue);

  async function drawRanking(run) {
    const key = `${run.run}@${state.step}`;
    if (key === rankingKey) return;
    rankingKey = key;
    if (!run.cell_ranking) {
      replace(ranking, el('h3', {}, 'Cells by feature'), el('p', {class: 'krnn-hint'}, 'No cell ranking in this run.'));
      return;
    }
    try {
      const data = await api('cell_ranking', {run: run.run, step: run.cell_ranking.steps.includes(state.step) ? state.step : ''});
      const top = Object.values(data.features).find((cells) => cells.length)?.[0];
      if (!state.picked && top && run.activations.some((a) => a.layer === top.layer)) {
        state.picked = true;                     // open on the top-ranked cell of the first feature, once
        open({layer: top.layer, cell: top.cell, name: cellState(run, top.layer)});
      }
      replace(ranking, el('h3', {}, 'Cells by feature'),
        el('p', {class: 'krnn-hint'}, data.statistic),
        Object.entries(data.features).map(([feature, cells]) => el('div', {class: 'krnn-feature'},
          el('h4', {title: Object.hasOwn(data.descriptions, feature) ? data.descriptions[feature] : ''}, feature),
          cells.map((c) => el('button', {type: 'button', class: 'krnn-cell-link', 'data-layer': c.layer, 'data-cell': c.cell,
            click: () => open({run: run.run, layer: c.layer, cell: c.cell, name: cellState(run, c.layer)})},
            `${c.layer} · cell ${c.cell} · r ${c.r >= 0 ? '+' : ''}${Number(c.r).toFixed(3)}`)))));
    } catch (error) {
      replace(ranking, el('h3', {}, 'Cells by feature'), message('error', error.message));
    }
  }

  async function load() {
    const settled = settle();
    if (!settled) {
      replace(controls);
      replace(pager);
      textBox.replaceChildren();
      replace(ranking);
      replace(status, message('info', 'None of the selected runs has colored-text summaries (text and '
        + 'activations): run scripts/analyze.py on a trained model, or tick another run.'));
      return;
    }
    drawControls(settled);
    drawPager(settled.run.text.length);
    drawRanking(settled.run);
    const started = performance.now();
    const token = ++request;
    replace(status, el('p', {class: 'krnn-hint'}, 'Loading…'));
    try {
      const data = await api('colored_text', {run: state.run, step: state.step, layer: state.layer, name: state.name,
                                              cell: state.cell, offset: state.offset, limit: state.limit});
      if (token !== request) return;
      page = data;
      replace(status);
      drawText(data);
      readout.textContent = `Hover a character to see its value (${data.layer} ${describe(data.name)} cell `
        + `${data.cell}, step ${formatCount(data.step)}).`;
      // User Timing for DevTools and benchmarks/bench_plugin.py: request to the frame after the page is drawn
      requestAnimationFrame(() => setTimeout(() => performance.measure('krnn-colored-text-page', {start: started}), 0));
    } catch (error) {
      if (token !== request) return;
      page = null;
      textBox.replaceChildren();
      replace(status, message('error', error.message));
    }
  }

  function open(params) {
    Object.assign(state, params);
    if ('cell' in params) state.picked = true;
    state.offset = 0;
    return load();
  }

  return {element, refresh: load, open};
}

// The name of a state or gate as shown in the menu.
function describe(name) {
  return DESCRIPTIONS.get(name) || name;
}
// A Map: names come from the server (one named `constructor` must stay a name).
const DESCRIPTIONS = new Map([['c', 'c (tanh, cell state)'], ['h', 'h (output)'], ['i', 'i (input gate)'],
  ['f', 'f (forget gate)'], ['o', 'o (output gate)'], ['g', 'g (candidate)'], ['r', 'r (reset gate)'],
  ['z', 'z (update gate)'], ['candidate', 'candidate']]);

function cellState(run, layer) {
  return run.activations.some((a) => a.layer === layer && a.name === 'c') ? 'c' : 'h';
}

function legend() {
  return el('span', {class: 'krnn-legend', title: 'Colour scale (the paper\'s Figure 2)'},
    el('span', {}, '−1'), el('span', {class: 'krnn-legend-bar'}), el('span', {}, '+1'));
}
