// Connectivity (Distill 2019, "Visualizing memorization in RNNs"): per selected run with a connectivity study, one
// text at a time, shown once per model side by side. Hovering a character (a click pins it, a second click on it
// releases it) selects it in every column at once: each column outlines it, shades the characters that model's
// prediction there was computed from in green by its connectivity to each (|d logit of the target / d input|, over
// the largest of that prediction: white at 0, the article's green at the largest) and lists the target and the
// model's top suggestions there. Every string reaches the page as text (el(), textContent).
import {api, el, formatCount, message, replace, requestedRunStep, select, shownCharacter} from '../common.js';
import {createProbePanel} from './probe.js';

const GREEN = [53, 183, 121];       // the article's green: the top of its scale (viridis at 2/3), reached at the largest
// How a suggestion or target label shows characters that would be invisible. A Map: labels come from the server.
const LABEL_MARKS = new Map([['\n', '\u21b5'], ['\t', '\u21e5'], ['\r', '\u240d'], [' ', '\u2423']]);
const TASKS = new Map([['autocomplete', 'Autocomplete: the word being typed, predicted after reading each character'],
                       ['next character', 'Next character: each character predicted from the characters before it']]);

// The background of a character whose connectivity is `value` times the largest of its prediction (clipped to [0, 1]).
export function connectivityColor(value) {
  const v = Math.max(0, Math.min(1, Number(value) || 0));
  const [r, g, b] = GREEN.map((c) => Math.round(255 + (c - 255) * v));
  return `rgb(${r}, ${g}, ${b})`;
}

// A label on one line: a newline, tab or carriage return as a mark (↵ ⇥ ␍), and a label of only whitespace with
// its spaces as ␣ too, so the target " " is not blank; the spaces between words stay spaces.
export function visibleLabel(label) {
  const blank = label.trim() === '';
  return Array.from(label, (c) => (LABEL_MARKS.has(c) && (blank || c !== ' ') ? LABEL_MARKS.get(c) : c)).join('');
}

export function createView(app) {
  const status = el('div', {class: 'krnn-status'});
  const panels = el('div', {class: 'krnn-panels krnn-connectivity-panels'});
  const probePanel = createProbePanel();     // the first shown run's model on the user's own text (probe.js)
  const element = el('div', {class: 'krnn-view krnn-connectivity'}, status, panels, probePanel.element);
  const chosen = new Map();         // run -> the index of the text it shows (a Map: run names are data)
  const state = {run: null, step: null};    // set by open(): only that run, at that step (null: every run, latest)
  let asked = new Set();            // runs whose index open() asked for: kept even when the run lacks it (an error)
  let shown = [];                   // the panels drawn now

  async function load() {
    const runs = app.selectedRuns().filter((r) => r.connectivity && (state.run === null || r.run === state.run));
    if (!runs.length) {
      shown = [];
      replace(panels);
      replace(status, message('info', state.run !== null
        ? `The run ${state.run} is not ticked or has no connectivity study; tick it, or another run.`
        : 'None of the selected runs has a connectivity study (how much each prediction depends on each character '
          + 'before it); tick another run.'));
      return;
    }
    replace(status);
    probePanel.show(runs.find((r) => r.probe) || null);
    shown = runs.map((r) => createPanel(r, app.runColor(r.run)));
    asked = new Set();
    replace(panels, shown.map((p) => p.element));
    await Promise.all(shown.map((p) => p.show(chosen.get(p.run))));
  }

  // Shows only params.run (when given) at params.step, text params.index (when given: of that run, else of every
  // run); refresh() shows every ticked run at its latest step again.
  function open(params = {}) {
    Object.assign(state, requestedRunStep(params));
    if (Object.hasOwn(params, 'index') && params.index !== null && params.index !== '') {
      const runs = app.selectedRuns().filter((r) => r.connectivity && (state.run === null || r.run === state.run));
      for (const r of runs) chosen.set(r.run, Number(params.index));
      asked = new Set(runs.map((r) => r.run));
    }
    return load();
  }

  function refresh() {
    state.run = state.step = null;
    return load();
  }

  // What the view shows now, for the export: the runs, their step (when one), the text and a chosen character.
  function caption() {
    const described = shown.map((p) => p.summary());
    const steps = [...new Set(described.map((d) => d.step).filter((step) => step !== null))];
    return {title: 'Connectivity', run: described.map((d) => d.run).join(', ') || state.run,
            step: steps.length === 1 ? steps[0] : state.step, layer: null, cell: null,
            details: described.map((d) => (described.length > 1 ? `${d.run}: ${d.details}` : d.details)).join('; ')};
  }

  // One run's panel: the text selector, then one column per model.
  function createPanel(entry, runColor) {
    const {run} = entry;
    const sources = entry.connectivity.sources;           // [{index, source}] by index
    if (!sources.some((s) => s.index === chosen.get(run)) && !asked.has(run)) chosen.set(run, sources[0].index);
    const controls = el('div', {class: 'krnn-controls krnn-connectivity-controls'});
    const info = el('p', {class: 'krnn-hint krnn-connectivity-info'});
    const readout = el('div', {class: 'krnn-readout krnn-connectivity-readout', 'aria-live': 'polite'});
    const body = el('div', {class: 'krnn-connectivity-body'});
    const panel = el('figure', {class: 'krnn-panel krnn-connectivity-panel', 'data-run': run, 'data-pinned': 'false'},
      el('figcaption', {}, el('span', {class: 'krnn-swatch', style: `background:${runColor}`}), run),
      controls, info,
      el('div', {class: 'krnn-legend-row'}, el('span', {class: 'krnn-legend'}, '0',
        el('span', {class: 'krnn-legend-bar krnn-connectivity-legend-bar'}), 'the largest connectivity of the prediction')),
      readout, body);
    let page = null;                // {data, columns, selected, pinned, shaded: [per model: characters shaded]}
    let token = 0;

    async function show(index) {
      chosen.set(run, index);
      drawControls(index);
      const mine = ++token;
      page = null;
      delete panel.dataset.selected;
      delete panel.dataset.shaded;
      panel.dataset.pinned = 'false';
      readout.textContent = '';
      replace(body, el('p', {class: 'krnn-hint'}, 'Loading…'));
      try {
        const data = await api('connectivity', {run, index, step: state.step});
        if (mine !== token) return;
        draw(data);
      } catch (error) {
        if (mine !== token) return;
        replace(body, message('error', error.message));
      }
    }

    function drawControls(index) {
      const at = sources.findIndex((s) => s.index === index);
      replace(controls,
        el('button', {type: 'button', class: 'krnn-connectivity-step', 'data-action': 'previous', disabled: at <= 0,
                      title: 'The text before', click: () => show(sources[at - 1].index)}, '\u2039 Previous'),
        select('Text', sources.map((s) => [s.index, `${s.index} \u00b7 ${s.source || 'no source named'}`]), index,
               (value) => show(Number(value)), 'text'),
        el('button', {type: 'button', class: 'krnn-connectivity-step', 'data-action': 'next',
                      disabled: at >= sources.length - 1, title: 'The text after',
                      click: () => show(sources[at + 1].index)}, 'Next \u203a'),
        el('span', {class: 'krnn-hint krnn-connectivity-position'}, `text ${at + 1} of ${sources.length}`));
    }

    function draw(data) {
      const characters = Array.from(data.text);            // code points, as the rows count them
      info.textContent = `${TASKS.get(data.task)} \u00b7 ${data.source || 'no source named'} \u00b7 `
        + `${formatCount(characters.length)} characters, ${data.models.length} model`
        + `${data.models.length === 1 ? '' : 's'} \u00b7 step ${formatCount(data.step)}`;
      const columns = data.models.map((model, m) => {
        const text = el('pre', {class: 'krnn-text krnn-connectivity-text', 'data-model': m, tabindex: 0,
                                'aria-label': `${model.name}: arrow keys choose a character, Enter pins it`});
        const spans = characters.map((character, j) => {
          const span = document.createElement('span');
          span.textContent = shownCharacter(character);
          span.dataset.index = String(j);
          return span;
        });
        text.append(...spans);
        const target = el('div', {class: 'krnn-connectivity-target'});
        const suggestions = el('ol', {class: 'krnn-connectivity-suggestions'});
        return {spans, target, suggestions,
                element: el('section', {class: 'krnn-connectivity-model', 'data-model': m},
                  el('h3', {class: 'krnn-connectivity-name', title: model.name}, model.name), text,
                  el('div', {class: 'krnn-connectivity-details'}, target, suggestions))};
      });
      replace(body, el('div', {class: 'krnn-connectivity-columns',
                               style: `grid-template-columns: repeat(${columns.length}, minmax(0, 1fr))`},
                       columns.map((c) => c.element)));
      page = {data, characters, columns, selected: null, pinned: false, shaded: columns.map(() => 0), rows: new Map()};
      readout.textContent = 'Hover a character to see what each model\u2019s prediction there depends on; click it to '
        + 'pin it.';
      for (const column of columns) {
        column.target.replaceChildren(el('span', {class: 'krnn-hint'}, 'No character selected.'));
        column.suggestions.replaceChildren();
      }
    }

    // The values of each model's prediction at character j (one request per character, kept for the page).
    function rowsAt(j) {
      if (!page.rows.has(j)) {
        page.rows.set(j, api('connectivity', {run, index: page.data.index, step: page.data.step, position: j})
          .then((answer) => answer.rows, (error) => { page.rows.delete(j); throw error; }));
      }
      return page.rows.get(j);
    }

    // Selects character j in every column: outline, target and suggestions now, green shades of its row once its
    // values arrive (if j is still the one selected then).
    function choose(j) {
      const {data, characters, columns} = page;
      const current = page;
      columns.forEach((column, m) => {
        unshade(column, m);
        if (page.selected !== null) {
          column.spans[page.selected].classList.remove('krnn-connectivity-selected', 'krnn-connectivity-pinned');
        }
        column.spans[j].classList.add('krnn-connectivity-selected');
        if (page.pinned) column.spans[j].classList.add('krnn-connectivity-pinned');
        describe(column, data.targets[j], data.models[m].suggestions[j]);
      });
      rowsAt(j).then((rows) => {
        if (page !== current || page.selected !== j) return;
        columns.forEach((column, m) => {
          unshade(column, m);
          const row = rows[m];
          const most = row.reduce((a, b) => Math.max(a, b), 0);
          row.forEach((value, t) => {
            const share = most > 0 ? value / most : 0;
            column.spans[t].style.backgroundColor = connectivityColor(share);
            column.spans[t].dataset.connectivity = share.toFixed(3);
          });
          page.shaded[m] = row.length;
        });
        panel.dataset.shaded = String(j);
      }, (error) => {
        if (page === current && page.selected === j) readout.textContent = error.message;
      });
      page.selected = j;
      panel.dataset.selected = String(j);
      panel.dataset.pinned = page.pinned ? 'true' : 'false';
      readout.textContent = `Character ${formatCount(j + 1)} ${JSON.stringify(characters[j])}`
        + (page.pinned ? ' (pinned: click it again to release)' : ' (click to pin)')
        + `: shaded by each model\u2019s connectivity to the characters ${data.task === 'autocomplete'
          ? 'up to and including it' : 'before it'}`;
    }

    // Clears the shades of model m's column.
    function unshade(column, m) {
      for (let t = 0; t < page.shaded[m]; t += 1) {
        column.spans[t].style.backgroundColor = '';
        delete column.spans[t].dataset.connectivity;
      }
      page.shaded[m] = 0;
    }

    function describe(column, target, suggestions) {
      column.target.dataset.scored = target === null ? 'false' : 'true';
      column.target.replaceChildren(...(target === null
        ? [el('span', {class: 'krnn-hint'}, 'Target: '), 'not scored']
        : [el('span', {class: 'krnn-hint'}, 'Target: '),
           el('span', {class: 'krnn-connectivity-label', title: target}, visibleLabel(target))]));
      column.suggestions.replaceChildren(...(suggestions.length
        ? suggestions.map((s, rank) => {
          const correct = target !== null && s.label === target;
          return el('li', {class: `krnn-connectivity-suggestion${correct ? ' krnn-connectivity-correct' : ''}`,
                           'data-rank': rank, 'data-correct': correct ? 'true' : 'false'},
            el('span', {class: 'krnn-connectivity-mark', 'aria-label': correct ? 'correct' : null},
               correct ? '\u2713' : ''),
            el('span', {class: 'krnn-connectivity-label', title: s.label}, visibleLabel(s.label)),
            el('span', {class: 'krnn-connectivity-p'}, `${(100 * s.p).toFixed(1)}%`));
        })
        : [el('li', {class: 'krnn-hint krnn-connectivity-none'}, 'No suggestions here.')]));
    }

    function characterOf(event) {
      const span = event.target instanceof Element ? event.target.closest('pre.krnn-connectivity-text span') : null;
      return span && page ? Number(span.dataset.index) : null;
    }
    body.addEventListener('mouseover', (event) => {
      const j = characterOf(event);
      if (j !== null && !page.pinned && j !== page.selected) choose(j);
    });
    // The keyboard's way (WCAG 2.1.1): in a model's text, Left/Right (Home/End) choose the character, Enter or Space
    // pins or releases it; focusing a text chooses the character chosen before, or the first.
    body.addEventListener('focusin', (event) => {
      if (page && event.target.matches('pre.krnn-connectivity-text') && page.selected === null) choose(0);
    });
    body.addEventListener('keydown', (event) => {
      if (!page || !event.target.matches('pre.krnn-connectivity-text')) return;
      const last = page.characters.length - 1;
      const from = page.selected ?? 0;
      const moves = {ArrowRight: from + 1, ArrowLeft: from - 1, Home: 0, End: last};
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        page.pinned = !page.pinned;
        choose(from);
      } else if (Object.hasOwn(moves, event.key)) {
        event.preventDefault();
        choose(Math.max(0, Math.min(last, moves[event.key])));
      }
    });
    body.addEventListener('click', (event) => {
      const j = characterOf(event);
      if (j === null) return;
      page.pinned = !(page.pinned && page.selected === j);     // the pinned character again releases it
      choose(j);
    });

    // {run, step, details} of what this panel shows: the text, its models, the chosen character.
    function summary() {
      if (!page) return {run, step: null, details: `text ${chosen.get(run)} not drawn`};
      const {data, selected, pinned} = page;
      return {run, step: data.step, details: `text ${data.index} of ${data.texts} (${data.source || 'no source named'}, `
        + `${data.task}), ${data.models.length} model${data.models.length === 1 ? '' : 's'}`
        + (selected === null ? '' : `; character ${selected} ${pinned ? 'pinned' : 'selected'}`)};
    }

    return {element: panel, run, show, summary};
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step, index: state.run === null ? '' : chosen.get(state.run)};
  }

  return {element, refresh, open, caption, linkState};
}
