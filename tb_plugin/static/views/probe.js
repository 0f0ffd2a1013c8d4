// The live probe (issue 34.4): a text box under the Colored text and Connectivity views. The run's own model (its
// best.keras, which TensorBoard's process loads on the first probe and keeps; nothing leaves the machine) reads the
// text the user typed: each character is coloured by the chosen cell, hovering one lists the model's top predictions
// after it and the probability it gave the character that came next, and clicking one shades every character up to
// it by how strongly it drives the model's most likely prediction there (connectivity, Distill 2019; a second click
// goes back to the cell). Every string reaches the page as text (el(), textContent).
import {api, coloredTextBlocks, describe, el, formatCount, message, replace, scaleLegend, select} from '../common.js';
import {connectivityColor, visibleLabel} from './connectivity.js';

// {element, show(run, defaults)}: the panel for `run` (a runs-route entry; hidden when it has no model to probe),
// opening on `defaults` {layer, name, cell} where given.
export function createProbePanel() {
  const state = {run: null, layer: null, name: null, cell: 0, pinned: null};
  let answer = null;                 // the last /probe answer drawn
  let spans = [];
  let characters = [];               // the answer's text as code points (the route counts them so)
  let request = 0;
  const input = el('textarea', {name: 'probe-text', rows: 4, class: 'krnn-probe-input', spellcheck: 'false',
                                'aria-label': 'Text for the run\'s model to read',
                                placeholder: 'Type or paste any text; the run\'s model reads it from zero states.'});
  const limitNote = el('span', {class: 'krnn-hint krnn-probe-limit'});
  const runButton = el('button', {type: 'button', class: 'krnn-button', 'data-action': 'probe',
                                  click: () => { state.pinned = null; probe(); }}, 'Probe');
  const controls = el('div', {class: 'krnn-controls krnn-probe-controls'});
  const status = el('div', {class: 'krnn-probe-status', 'data-testid': 'probe-status'});
  const legend = el('div', {class: 'krnn-scale-row'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite', 'data-testid': 'probe-readout'});
  const textBox = el('pre', {class: 'krnn-text krnn-probe-text', 'data-testid': 'probe-text'});
  const element = el('details', {class: 'krnn-probe', 'data-testid': 'probe', 'data-export': 'skip', hidden: ''},
    el('summary', {}, 'Live probe: run this run\'s model on your own text'),
    input, el('div', {class: 'krnn-probe-bar'}, runButton, limitNote), controls, status, legend, readout, textBox);

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { state.pinned = null; probe(); }
  });
  textBox.addEventListener('mouseover', (event) => {
    const span = event.target.closest('span[data-index]');
    if (span && answer) explain(Number(span.dataset.index));
  });
  textBox.addEventListener('click', (event) => {
    const span = event.target.closest('span[data-index]');
    if (!span || !answer) return;
    const index = Number(span.dataset.index);
    if (state.pinned === index) {
      state.pinned = null;
      paintCell();
    } else {
      state.pinned = index;
      connect(index);
    }
  });

  function show(run, defaults = {}) {
    if (!run || !run.probe) {
      element.hidden = true;
      return;
    }
    element.hidden = false;
    limitNote.textContent = `at most ${formatCount(run.probe.limit)} characters; Ctrl+Enter runs it`;
    if (run.run !== state.run) {
      state.run = run.run;
      answer = null;
      state.pinned = null;
      replace(controls);
      replace(legend);
      replace(readout);
      textBox.replaceChildren();
      replace(status);
    }
    for (const key of ['layer', 'name', 'cell']) {
      if (defaults[key] !== undefined && defaults[key] !== null) state[key] = defaults[key];
    }
    if (answer && input.value === answer.text) probe();      // the view's cell changed: recolour the same text
  }

  async function probe() {
    const text = input.value;
    const token = ++request;
    replace(status, el('p', {class: 'krnn-hint'}, 'Running the model…'));
    try {
      const data = await api('probe', {run: state.run, text, layer: state.layer, name: state.name, cell: state.cell});
      if (token !== request) return;
      answer = data;
      Object.assign(state, {layer: data.layer, name: data.name, cell: data.cell});
      replace(status);
      drawControls();
      drawText();
      if (state.pinned !== null && state.pinned < data.length) connect(state.pinned);
      else state.pinned = null;
    } catch (error) {
      if (token !== request) return;
      answer = null;
      replace(controls);
      replace(legend);
      replace(readout);
      textBox.replaceChildren();
      replace(status, message('error', error.message));
    }
  }

  function drawControls() {
    const layer = answer.layers.find((l) => l.layer === answer.layer);
    const cell = el('input', {type: 'number', min: 0, max: layer.units - 1, value: answer.cell, name: 'probe-cell',
                              class: 'krnn-cell-input',
                              change: () => { state.cell = Math.max(0, Math.min(layer.units - 1, Number(cell.value) || 0));
                                              probe(); }});
    replace(controls,
      select('Layer', answer.layers.map((l) => [l.layer, l.layer]), answer.layer,
             (v) => { state.layer = v; state.name = null; probe(); }, 'probe-layer'),
      select('Show', layer.names.map((n) => [n, describe(n)]), answer.name,
             (v) => { state.name = v; probe(); }, 'probe-name'),
      el('label', {class: 'krnn-field'}, el('span', {}, `Cell (0–${layer.units - 1})`), cell));
  }

  function drawText() {
    characters = Array.from(answer.text);
    const drawn = coloredTextBlocks(characters, answer.values, 0, true, answer.range);
    spans = drawn.spans;
    textBox.dataset.mode = 'cell';
    textBox.replaceChildren(drawn.fragment);
    replace(legend, scaleLegend(answer.range, `${answer.layer} ${answer.name} cell ${answer.cell}`));
    readout.textContent = 'Hover a character for the model\'s predictions after it; click one for its connectivity.';
  }

  function paintCell() {
    if (!answer) return;
    const drawn = coloredTextBlocks(characters, answer.values, 0, true, answer.range);
    spans.forEach((span, i) => {
      span.style.backgroundColor = drawn.spans[i].style.backgroundColor;
      span.style.color = drawn.spans[i].style.color;
      span.classList.remove('krnn-probe-pinned');
    });
    replace(legend, scaleLegend(answer.range, `${answer.layer} ${answer.name} cell ${answer.cell}`));
    textBox.dataset.mode = 'cell';
  }

  async function connect(index) {
    const token = ++request;
    replace(status, el('p', {class: 'krnn-hint'}, 'Computing the connectivity…'));
    try {
      const data = await api('probe_connectivity', {run: state.run, text: answer.text, position: index});
      if (token !== request) return;
      replace(status);
      const largest = Math.max(...data.values.map((v) => v || 0)) || 1;
      spans.forEach((span, i) => {
        const value = i <= index ? (data.values[i] || 0) / largest : 0;
        span.style.backgroundColor = connectivityColor(value);
        span.style.color = '#000';
        span.classList.toggle('krnn-probe-pinned', i === index);
      });
      textBox.dataset.mode = 'connectivity';
      replace(legend, el('span', {class: 'krnn-hint', 'data-testid': 'probe-connectivity'},
        `Connectivity of the prediction after character ${formatCount(index)} (the model's most likely next `
        + `character there: "${visibleLabel(data.target)}"): green by each character's pull on it, the largest `
        + 'darkest. Click it again for the cell.'));
    } catch (error) {
      if (token !== request) return;
      replace(status, message('error', error.message));
    }
  }

  function explain(index) {
    const top = answer.top[index].map(([c, p]) => `"${visibleLabel(c)}" ${p.toFixed(3)}`).join(', ');
    const next = index + 1 < answer.length
      ? `; the next character "${visibleLabel(characters[index + 1])}" had p = ${answer.next[index].toFixed(3)}`
      : '';
    const value = answer.values[index];
    readout.textContent = `"${visibleLabel(characters[index])}" (character ${formatCount(index)}), `
      + `${answer.layer} ${answer.name} cell ${answer.cell} = ${value === null ? 'n/a' : value.toFixed(3)}; `
      + `most likely next: ${top}${next}`;
  }

  return {element, show};
}
