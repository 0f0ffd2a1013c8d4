// Two models compared per character (the paper's Figure 4, middle/right): the excerpt coloured by how much more
// probability model 0 gave each character than model 1 (blue where model 0 leads, red where model 1 leads, white
// at 0: common.js's scale), and beside it the characters each model leads on most, as bars; clicking a bar marks
// every occurrence of its character in the excerpt.
import {api, coloredTextBlocks, el, formatCount, message, replace, select} from '../common.js';

export function createView(app) {
  const state = {run: null, step: null};
  const controls = el('div', {class: 'krnn-controls'});
  const status = el('div', {class: 'krnn-status'});
  const legend = el('div', {class: 'krnn-legend-row'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'}, 'Hover a character to see its difference.');
  const found = el('div', {class: 'krnn-found', 'aria-live': 'polite'});
  const textBox = el('pre', {class: 'krnn-text krnn-compared-text', 'data-testid': 'compared-text'});
  const charts = el('aside', {class: 'krnn-leaders'});
  const element = el('div', {class: 'krnn-view krnn-characters'}, controls, status, legend,
    el('div', {class: 'krnn-text-grid'}, el('div', {class: 'krnn-text-panel'}, readout, found, textBox), charts));
  let page = null;                  // the shown comparison, its characters (code points) and their spans
  let marked = null;                // the leader whose character is marked: {side, rank}
  let request = 0;

  const candidates = () => app.selectedRuns().filter((r) => r.characters);

  // Draws state.run at state.step; `asked` (from open()): a step the run lacks is an error, not the latest.
  // Empties the view but for `note` (a message box) in the status line.
  function clear(note) {
    page = null;
    for (const part of [controls, legend, charts, found]) replace(part);
    textBox.replaceChildren();
    replace(status, note);
  }

  async function load(asked = false) {
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runs.find((r) => r.run === state.run);
    if (!run) {
      clear(message('info', 'None of the selected runs compares two models per character (scripts/'
        + 'analyze.py longrange writes it); tick another run.'));
      return;
    }
    if (!run.characters.steps.includes(state.step)) {
      if (asked === true && state.step !== null) {
        clear(message('error', `step ${state.step} is not a step of the character comparison of `
          + `${run.run}; its steps are ${run.characters.steps.join(', ')}`));
        return;
      }
      state.step = run.characters.steps[run.characters.steps.length - 1];
    }
    replace(controls,
      select('Run', runs.map((r) => [r.run, r.run]), state.run, (v) => { state.run = v; load(); }, 'run'),
      select('Step', run.characters.steps.map((s) => [s, formatCount(s)]), state.step,
             (v) => { state.step = Number(v); load(); }, 'step'));
    const token = ++request;
    replace(status, el('p', {class: 'krnn-hint'}, 'Loading…'));
    try {
      const data = await api('characters', {run: state.run, step: state.step});
      if (token !== request) return;
      replace(status);
      draw(data);
    } catch (error) {
      if (token !== request) return;
      page = null;
      textBox.replaceChildren();
      replace(charts);
      replace(found);
      replace(status, message('error', error.message));
    }
  }

  function draw(data) {
    const [first, second] = data.models;
    const characters = Array.from(data.text);            // code points, as the difference counts them
    const {fragment, spans} = coloredTextBlocks(characters, data.difference, 0, true);
    textBox.replaceChildren(fragment);
    page = {data, characters, spans};
    marked = null;
    replace(legend, el('span', {class: 'krnn-legend', title: 'p(correct character): first model minus second'},
      el('span', {class: 'krnn-legend-name'}, `${second} leads`), el('span', {class: 'krnn-legend-bar'}),
      el('span', {class: 'krnn-legend-name'}, `${first} leads`)),
      el('span', {class: 'krnn-hint'}, `${formatCount(characters.length)} characters from character `
        + `${formatCount(data.start)} of the split, step ${formatCount(data.step)}`));
    readout.textContent = `Hover a character to see p(${first}) − p(${second}).`;
    replace(found);
    const most = Math.max(1e-9, ...data.leaders.flat().map((row) => Math.abs(row.means[0] - row.means[1])));
    replace(charts, data.leaders.map((rows, side) => chart(data, rows, side, most)));
  }

  function showDifference(event) {
    const span = event.target.closest('span[data-index]');
    if (!span || !page) return;
    const i = Number(span.dataset.index);
    const {data, characters} = page;
    const value = data.difference[i];
    const [first, second] = data.models;
    const shown = `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
    span.title = shown;
    readout.textContent = `Character ${formatCount(data.start + i + 1)} ${JSON.stringify(characters[i])}: `
      + `p(${first}) − p(${second}) = ${shown}`
      + (value > 0 ? ` (${first} leads)` : value < 0 ? ` (${second} leads)` : '');
  }
  textBox.addEventListener('mouseover', showDifference);

  // One model's leaders as horizontal bars, longest lead first; a bar's length is its lead over the other model.
  function chart(data, rows, side, most) {
    const leader = data.models[side];
    const other = data.models[1 - side];
    return el('figure', {class: 'krnn-panel krnn-leader-chart', 'data-side': side},
      el('figcaption', {}, `${leader} leads`),
      el('p', {class: 'krnn-hint'}, `Mean p(correct character) minus ${other}'s; click a bar to find it in the text.`),
      rows.length ? rows.map((row, rank) => {
        const lead = row.means[side] - row.means[1 - side];
        return el('button', {type: 'button', class: 'krnn-leader', 'data-side': side, 'data-rank': rank,
                             'aria-pressed': 'false', click: () => mark(side, rank),
                             title: `${row.label}: ${data.models[0]} ${row.means[0].toFixed(3)}, ${data.models[1]} `
                               + `${row.means[1].toFixed(3)}; ${formatCount(row.count)} in the split`},
          el('span', {class: 'krnn-leader-label'}, row.label),
          el('span', {class: 'krnn-leader-track'},
             el('span', {class: 'krnn-leader-bar', style: `width:${(100 * lead / most).toFixed(1)}%`})),
          el('span', {class: 'krnn-leader-value'}, `+${lead.toFixed(3)}`));
      }) : el('p', {class: 'krnn-hint'}, `${leader} leads on no character.`));
  }

  // Marks every occurrence in the text of the character of leader `rank` of `side`, and scrolls to the first.
  function mark(side, rank) {
    if (!page) return;
    const {data, characters, spans} = page;
    const row = data.leaders[side][rank];
    marked = {side, rank};
    for (const span of textBox.querySelectorAll('span.krnn-occurrence')) span.classList.remove('krnn-occurrence');
    for (const button of charts.querySelectorAll('button.krnn-leader')) {
      const chosen = button.dataset.side === String(side) && button.dataset.rank === String(rank);
      button.setAttribute('aria-pressed', chosen ? 'true' : 'false');
    }
    let count = 0;
    let firstSpan = null;
    characters.forEach((character, i) => {
      if (character !== row.character) return;
      spans[i].classList.add('krnn-occurrence');
      firstSpan = firstSpan || spans[i];
      count += 1;
    });
    found.textContent = `${formatCount(count)} occurrence${count === 1 ? '' : 's'} of ${row.label} in this excerpt `
      + `(${formatCount(row.count)} in the split)`;
    found.dataset.count = String(count);
    if (firstSpan) firstSpan.scrollIntoView({block: 'center', inline: 'nearest'});
  }

  // Shows params.run (when given) at params.step (when given: an error if the run lacks it).
  function open(params = {}) {
    if (Object.hasOwn(params, 'run') && params.run !== null) state.run = String(params.run);
    if (Object.hasOwn(params, 'step')) state.step = params.step === null || params.step === '' ? null : Number(params.step);
    return load(true);
  }

  // What the view shows now, for the export: the run, step, the two models, the excerpt and a marked character.
  function caption() {
    if (!page) return {title: 'Characters', run: state.run, step: state.step, layer: null, cell: null, details: ''};
    const {data, characters} = page;
    const leader = marked ? data.leaders[marked.side][marked.rank] : null;
    return {title: 'Characters', run: data.run, step: data.step, layer: null, cell: null,
            details: `p(${data.models[0]}) − p(${data.models[1]}) per character, `
              + `${formatCount(characters.length)} characters from character ${formatCount(data.start)} of the split`
              + (leader ? `; occurrences of ${leader.label} marked` : '')};
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step};
  }

  return {element, refresh: () => load(), open, caption, linkState};
}
