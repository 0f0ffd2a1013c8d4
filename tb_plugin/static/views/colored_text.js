// Colored text (the paper's Figure 2): one cell's value per character as the character's background, paged; up to
// MAX_BANDS more cells (any layer, state or gate) as thin stripes under each character; pattern search over a
// selection (LSTMVis' "match"); a play control that steps the page through the run's training steps.
import {activationColor, api, coloredTextBlocks, describe, el, formatCount, isGateRange, message, missingStepsNote,
  replace, scaleLabels, scaleLegend, select, validRange} from '../common.js';
import {createProbePanel} from './probe.js';

const PAGE_SIZES = [2000, 5000, 10000, 20000];
const MAX_BANDS = 6;                 // stripes under each character (the route takes 8)
const MAX_SELECTION = 2000;          // characters /search takes
const SEARCH_LIMIT = 20;             // matches listed
const SEARCH_CONTEXT = 40;           // characters shown each side of a match
const PLAY_STEP_MS = 1000;           // how long Play shows each training step once it is drawn
const NEWLINE_MARK = '\u21b5';

export function createView(app) {
  // picked: the user (or a link) chose the cell; until then the view opens on the run's top-ranked cell.
  // bands: [{layer, name, cell}] drawn as stripes; selection/match: [start, end) character ranges marked in the text;
  // anchor: the character a shift+click extends the selection from.
  // feature: the probe feature whose ranked cell is shown (opened from the ranking), null once the cell is changed.
  const state = {run: null, step: null, layer: null, name: null, cell: 0, offset: 0, limit: 5000, picked: false,
                 bands: [], selection: null, anchor: null, match: null, playing: false, feature: null};
  let page = null;                   // the drawn page (the route's answer, with `characters` and `spanAt`)
  let request = 0;
  let rankingKey = null;
  let rankingData = null;            // the cell ranking drawn in the side panel (Add band's default)
  let shownRun = null;               // the run whose text the selection and search results refer to
  let scrollToMatch = false;
  let playToken = 0;
  let playButton = null;
  const controls = el('div', {class: 'krnn-controls'});
  const bandsBar = el('div', {class: 'krnn-bands'});
  const pager = el('div', {class: 'krnn-pager'});
  const readout = el('div', {class: 'krnn-readout', 'aria-live': 'polite'}, 'Hover a character to see its value.');
  const bandLegend = el('div', {class: 'krnn-band-legend'});
  const scaleRow = el('div', {class: 'krnn-scale-row', 'data-testid': 'scale'});   // kept in exports: the figure's key
  const textBox = el('pre', {class: 'krnn-text', 'data-testid': 'colored-text', tabindex: 0,
                             'aria-label': 'The text: arrow keys move through the characters and show each value; '
                               + 'Shift with the arrows selects; Enter finds where the selection\'s cells switch on'});
  const status = el('div', {class: 'krnn-status'});
  const coverageBox = el('div', {class: 'krnn-coverage', 'data-testid': 'coverage', 'data-export': 'skip'});
  const stepsNote = el('div', {'data-export': 'skip'});
  const ranking = el('aside', {class: 'krnn-ranking'});
  const search = createSearchPanel();
  const textGrid = el('div', {class: 'krnn-text-grid'},
    el('div', {class: 'krnn-text-panel'}, search.element, scaleRow, readout, bandLegend, textBox), ranking);
  const probePanel = createProbePanel();     // the run's model on the user's own text (probe.js)
  const element = el('div', {class: 'krnn-view krnn-colored-text'}, controls, stepsNote, bandsBar, pager, coverageBox,
    status, textGrid, probePanel.element);
  let resultsFor = null;             // what the search results shown were found on (run, step, layer, state, cell)
  const shownKey = () => JSON.stringify([state.run, state.step, state.layer, state.name, state.cell]);

  const candidates = () => app.selectedRuns().filter((r) => r.text && r.activations.length);
  const runEntry = () => candidates().find((r) => r.run === state.run);

  // Fills in whatever the state lacks from the run's summaries (first layer, its cell state, latest step); drops
  // bands the run does not have.
  function settle() {
    const runs = candidates();
    if (!runs.some((r) => r.run === state.run)) state.run = runs.length ? runs[0].run : null;
    const run = runEntry();
    if (!run) return null;
    if (!run.text.steps.includes(state.step)) state.step = run.text.steps[run.text.steps.length - 1];
    const layers = [...new Set(run.activations.map((a) => a.layer))];
    if (!layers.includes(state.layer)) state.layer = layers[0];
    const names = namesOf(run, state.layer);
    if (!names.includes(state.name)) state.name = names.includes('c') ? 'c' : names[0];
    const series = seriesOf(run, state.layer, state.name);
    state.cell = clampCell(state.cell, series.units);
    state.offset = Math.min(state.offset, Math.max(0, run.text.length - 1));
    state.bands = state.bands.filter((b) => bandable(b.layer) && bandable(b.name) && seriesOf(run, b.layer, b.name))
      .slice(0, MAX_BANDS).map((b) => ({...b, cell: clampCell(b.cell, seriesOf(run, b.layer, b.name).units)}));
    if (state.run !== shownRun) {                  // another text: the selection and results no longer apply
      shownRun = state.run;
      state.selection = state.anchor = state.match = null;
      search.reset();
    }
    return {run, layers, names, series};
  }

  function drawControls({run, layers, names, series}) {
    const cell = el('input', {type: 'number', min: 0, max: series.units - 1, value: state.cell, name: 'cell',
                              class: 'krnn-cell-input',
                              change: () => { state.cell = Number(cell.value) || 0; state.picked = true;
                                              state.feature = null; load(); }});
    playButton = el('button', {type: 'button', class: 'krnn-button krnn-play', 'data-action': 'play',
                               disabled: run.text.steps.length < 2 ? 'disabled' : null,
                               title: 'Step through the training steps of this run, about a second each',
                               click: () => (state.playing ? stopPlaying() : play())});
    showPlaying();
    replace(controls,
      select('Run', candidates().map((r) => [r.run, r.run]), state.run,
             (v) => { stopPlaying(); state.run = v; load(); }, 'run'),
      select('Step', run.text.steps.map((s) => [s, formatCount(s)]), state.step,
             (v) => { stopPlaying(); state.step = Number(v); load(); }, 'step'),
      playButton,
      select('Layer', layers.map((l) => [l, l]), state.layer,
             (v) => { state.layer = v; state.picked = true; state.feature = null; load(); }, 'layer'),
      select('Show', names.map((n) => [n, describe(n)]), state.name, (v) => { state.name = v; load(); }, 'name'),
      el('label', {class: 'krnn-field'}, el('span', {}, `Cell (0–${series.units - 1})`), cell),
      select('Page', PAGE_SIZES.map((n) => [n, `${formatCount(n)} chars`]), state.limit,
             (v) => { state.limit = Number(v); load(); }, 'limit'));
  }

  // One row of controls per band (layer, state or gate, cell, remove) and the Add band button.
  function drawBands(run) {
    const layers = [...new Set(run.activations.map((a) => a.layer))].filter(bandable);
    const update = (k, change) => { state.bands[k] = {...state.bands[k], ...change}; load(); };
    replace(bandsBar,
      state.bands.map((band, k) => {
        const units = seriesOf(run, band.layer, band.name).units;
        const cell = el('input', {type: 'number', min: 0, max: units - 1, value: band.cell, name: 'band-cell',
                                  class: 'krnn-cell-input', change: () => update(k, {cell: Number(cell.value) || 0})});
        return el('div', {class: 'krnn-band', 'data-band': k},
          el('span', {class: 'krnn-band-label'}, `Stripe ${k + 1}`),
          select('Layer', layers.map((l) => [l, l]), band.layer,
                 (v) => update(k, {layer: v, name: cellState(run, v)}), 'band-layer'),
          select('Show', namesOf(run, band.layer).filter(bandable).map((n) => [n, describe(n)]), band.name,
                 (v) => update(k, {name: v}), 'band-name'),
          el('label', {class: 'krnn-field'}, el('span', {}, `Cell (0–${units - 1})`), cell),
          el('button', {type: 'button', class: 'krnn-button krnn-band-remove', 'data-action': 'remove-band',
                        title: `Remove stripe ${k + 1}`,
                        click: () => { state.bands.splice(k, 1); load(); }}, '✕'));
      }),
      el('button', {type: 'button', class: 'krnn-button', 'data-action': 'add-band',
                    disabled: state.bands.length >= MAX_BANDS || !layers.length ? 'disabled' : null,
                    title: `Show another cell as a stripe under each character (at most ${MAX_BANDS})`,
                    click: () => { state.bands.push(defaultBand(run)); load(); }}, '+ Add band'));
  }

  // A new band: the top-ranked cell of the first layer not shown yet (cell 0 if the ranking has none), or once every
  // layer is shown, the first cell not shown yet of the layer after the last band's.
  function defaultBand(run) {
    const layers = [...new Set(run.activations.map((a) => a.layer))].filter(bandable);
    const shown = new Set([state.layer, ...state.bands.map((b) => b.layer)]);
    let layer = layers.find((l) => !shown.has(l));
    if (layer === undefined) {
      const last = state.bands.length ? state.bands[state.bands.length - 1].layer : state.layer;
      layer = layers[(layers.indexOf(last) + 1) % layers.length];
    }
    const name = bandable(cellState(run, layer)) ? cellState(run, layer) : namesOf(run, layer).find(bandable);
    const units = seriesOf(run, layer, name).units;
    const taken = new Set([...state.bands, {layer: state.layer, name: state.name, cell: state.cell}]
      .filter((b) => b.layer === layer && b.name === name).map((b) => b.cell));
    const ranked = rankedCells(layer).filter((c) => c < units && !taken.has(c));
    const first = ranked.length ? ranked[0] : [...Array(units).keys()].find((c) => !taken.has(c));
    return {layer, name, cell: first === undefined ? 0 : first};
  }

  // The cells of `layer` in the side panel's ranking, strongest |r| first.
  function rankedCells(layer) {
    if (!rankingData) return [];
    const cells = Object.values(rankingData.features).flat().filter((c) => c.layer === layer)
      .sort((a, b) => Math.abs(b.r) - Math.abs(a.r)).map((c) => c.cell);
    return [...new Set(cells)];
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
      el('label', {class: 'krnn-field'}, el('span', {}, 'Go to character'), jump));
  }

  // The text of one page, coloured by its values (common.js: blocks of whole lines), its bands as stripes, the
  // selection and the match marked; the value shows on hover (title and readout, set when hovered).
  function drawText(data) {
    data.characters = Array.from(data.text);     // code points, as the route counts them
    data.bands = data.bands || [];
    data.range = validRange(data.range);
    for (const band of data.bands) band.range = validRange(band.range);
    const {fragment, spans} = coloredTextBlocks(data.characters, data.values, data.offset, false, data.range);
    data.spanAt = new Map(spans.map((span) => [Number(span.dataset.index), span]));
    if (data.bands.length) paintBands(spans, data.bands, data.offset);
    textBox.classList.toggle('krnn-with-bands', data.bands.length > 0);
    textBox.style.setProperty('--krnn-bands', String(data.bands.length));
    textBox.replaceChildren(fragment);
    cursor = null;
    drawBandLegend(data.bands, data.range);
    replace(scaleRow, scaleLegend(data.range, `${data.layer} ${describe(data.name)}`),
      el('span', {class: 'krnn-hint'}, scaleNote(data.range)));
    markRanges();
  }

  // The legend of the stripes drawn: which cell each one shows, top to bottom.
  function drawBandLegend(bands, range) {
    replace(bandLegend, bands.length ? el('span', {class: 'krnn-hint'}, 'Stripes under each character, top to bottom:') : null,
      bands.map((b, k) => el('span', {class: 'krnn-band-key', 'data-band': k},
        el('span', {class: 'krnn-band-number'}, String(k + 1)), bandName(b),
        String(b.range) === String(range) ? null           // on another scale than the text: say so
          : el('span', {class: 'krnn-hint'}, ` (scale ${scaleLabels(b.range).join(' / ')})`))));
  }

  // Marks the selection (data-selected) and the match jumped to (data-match) on the page's spans.
  function markRanges() {
    for (const span of textBox.querySelectorAll('[data-selected], [data-match], [data-anchor]')) {
      span.removeAttribute('data-selected');
      span.removeAttribute('data-match');
      span.removeAttribute('data-anchor');
    }
    if (!page) return;
    const mark = (range, attribute) => {
      if (!range) return;
      for (let i = Math.max(range.start, page.offset); i < Math.min(range.end, page.offset + page.characters.length); i++) {
        page.spanAt.get(i)?.setAttribute(attribute, '');
      }
    };
    mark(state.selection, 'data-selected');
    mark(state.match, 'data-match');
    if (state.anchor !== null && !state.selection) mark({start: state.anchor, end: state.anchor + 1}, 'data-anchor');
  }

  // A value as the hover shows it: signed on a -1..+1 scale, plain on a gate's 0..1.
  const shownValue = (value, range) => (value === null || value === undefined ? 'not a number'
    : `${value >= 0 && !isGateRange(range) ? '+' : ''}${value.toFixed(3)}`);

  function showValue(event) {
    const span = event.target.closest('span[data-index]');
    if (!span || !page) return;
    const index = Number(span.dataset.index);
    const position = index - page.offset;
    const character = page.characters[position];
    const value = shownValue(page.values[position], page.range);
    const [low, , high] = scaleLabels(page.range);
    span.title = `${value} (scale ${low} to ${high})`;
    const bands = page.bands.map((b, k) => `${k + 1} ${bandName(b)}: ${shownValue(b.values[position], b.range)}`);
    readout.textContent = `Character ${formatCount(index + 1)} ${JSON.stringify(character === undefined ? '' : character)}: `
      + `${value} on ${low}…${high} (${page.layer} ${describe(page.name)} cell ${page.cell}, step ${formatCount(page.step)})`
      + (bands.length ? `; stripes ${bands.join(', ')}` : '');
  }
  textBox.addEventListener('mouseover', showValue);

  // A mouse selection over the text becomes the search's selection (the spans' data-index range); a shift+click is
  // left to clickCharacter.
  function selectFromMouse(event) {
    if (event.shiftKey) return;
    const range = selectedSpans(textBox);
    if (!range) return;
    state.selection = range;
    state.anchor = range.start;
    markRanges();
    search.showSelection();
  }
  element.addEventListener('mouseup', selectFromMouse);

  // A click sets the anchor; shift+click selects from the anchor to the character clicked (both included).
  function clickCharacter(event) {
    const span = event.target.closest('span[data-index]');
    if (!span) return;
    const index = Number(span.dataset.index);
    if (event.shiftKey && state.anchor !== null) {
      state.selection = {start: Math.min(state.anchor, index), end: Math.max(state.anchor, index) + 1};
      window.getSelection().removeAllRanges();
    } else if (!event.shiftKey && !hasTextSelection(textBox)) {
      state.anchor = index;
      state.selection = null;
    } else {
      return;
    }
    markRanges();
    search.showSelection();
  }
  textBox.addEventListener('click', clickCharacter);

  // The keyboard's way through the text (WCAG 2.1.1): a cursor character, outlined, whose value the readout shows;
  // Left/Right move it by one, Up/Down to the same column of the line above or below, Shift extends the selection
  // from where it started, Enter runs the search.
  let cursor = null;
  function moveCursor(index, extend) {
    if (!page) return;
    const first = page.offset;
    const last = page.offset + page.characters.length - 1;
    const next = Math.max(first, Math.min(last, index));
    if (extend) {
      if (state.anchor === null || !state.selection) state.anchor = cursor ?? next;
      state.selection = {start: Math.min(state.anchor, next), end: Math.max(state.anchor, next) + 1};
      markRanges();
      search.showSelection();
    }
    page.spanAt.get(cursor)?.removeAttribute('data-cursor');
    cursor = next;
    const span = page.spanAt.get(cursor);
    if (!span) return;
    span.setAttribute('data-cursor', '');
    span.scrollIntoView({block: 'nearest', inline: 'nearest'});
    showValue({target: span});
  }
  // The index of the same column on the line above (-1) or below (+1) `index` in the page, clipped to that line.
  function verticalMove(index, direction) {
    const text = page.characters;
    const at = index - page.offset;
    const lineStart = (i) => { let k = i; while (k > 0 && text[k - 1] !== '\n') k -= 1; return k; };
    const start = lineStart(at);
    const column = at - start;
    let target;
    if (direction > 0) {
      let end = at;
      while (end < text.length && text[end] !== '\n') end += 1;
      if (end >= text.length - 1) return index;
      target = end + 1;
    } else {
      if (start === 0) return index;
      target = lineStart(start - 1);
    }
    let k = target;
    while (k < target + column && k < text.length && text[k] !== '\n') k += 1;
    return page.offset + k;
  }
  textBox.addEventListener('focus', () => { if (page && cursor === null) moveCursor(page.offset, false); });
  textBox.addEventListener('keydown', (event) => {
    if (!page) return;
    const from = cursor ?? page.offset;
    const moves = {ArrowRight: () => from + 1, ArrowLeft: () => from - 1, ArrowDown: () => verticalMove(from, 1),
                   ArrowUp: () => verticalMove(from, -1), Home: () => page.offset,
                   End: () => page.offset + page.characters.length - 1};
    if (event.key === 'Enter') {
      event.preventDefault();
      search.find();
    } else if (Object.hasOwn(moves, event.key)) {
      event.preventDefault();
      moveCursor(moves[event.key](), event.shiftKey);
    }
  });

  async function drawRanking(run) {
    const key = `${run.run}@${state.step}`;
    if (key === rankingKey) return;
    rankingKey = key;
    rankingData = null;
    if (!run.cell_ranking) {
      replace(ranking, el('h3', {}, 'Cells by feature'), el('p', {class: 'krnn-hint'}, 'No cell ranking in this run.'));
      return;
    }
    try {
      const data = await api('cell_ranking', {run: run.run, step: run.cell_ranking.steps.includes(state.step) ? state.step : ''});
      if (key !== rankingKey) return;
      rankingData = data;
      const top = strongest(data.features, run);
      if (!state.picked && top) {
        state.picked = true;                     // open on the strongest cell of any feature, once, where it occurs
        open(openingOf(run, top.feature, top.cell));
      } else {
        drawCoverage();
      }
      replace(ranking, el('h3', {}, 'Cells by feature'),
        el('p', {class: 'krnn-hint'}, data.statistic),
        Object.entries(data.features).map(([feature, cells]) => el('div', {class: 'krnn-feature'},
          el('h4', {title: Object.hasOwn(data.descriptions, feature) ? data.descriptions[feature] : ''}, feature),
          cells.map((c) => el('button', {type: 'button', class: 'krnn-cell-link', 'data-layer': c.layer, 'data-cell': c.cell,
            'data-feature': feature, click: () => open({run: run.run, ...openingOf(run, feature, c)})},
            `${c.layer} · cell ${c.cell} · r ${c.r >= 0 ? '+' : ''}${Number(c.r).toFixed(3)}`)))));
    } catch (error) {
      replace(ranking, el('h3', {}, 'Cells by feature'), message('error', error.message));
    }
  }

  // The strongest |r| of any feature in the ranking whose layer the run shows: {feature, cell}, or null.
  function strongest(features, run) {
    let best = null;
    for (const [feature, cells] of Object.entries(features)) {
      for (const cell of cells) {
        if (run.activations.some((a) => a.layer === cell.layer) && (!best || Math.abs(cell.r) > Math.abs(best.cell.r))) {
          best = {feature, cell};
        }
      }
    }
    return best;
  }

  // What open() takes to show `cell` (ranked for `feature`): its layer and state, and the page where the feature
  // first occurs in the stored text (the first page when the ranking says nothing of it).
  function openingOf(run, feature, cell) {
    const first = rankingData?.coverage?.features?.[feature]?.first;
    return {layer: cell.layer, cell: cell.cell, name: cellState(run, cell.layer), feature,
            offset: Number.isInteger(first) ? Math.floor(first / state.limit) * state.limit : 0};
  }

  // What the text shown is against what the ranking saw, and where the shown cell's feature occurs in it.
  function drawCoverage() {
    const coverage = rankingData?.coverage;
    if (!rankingData) return replace(coverageBox);
    if (!coverage) {
      return replace(coverageBox, el('p', {class: 'krnn-hint'}, 'This ranking was written without saying how much '
        + 'text it covered: it may have ranked more than is stored here (analyze.py --summary-chars sets how much).'));
    }
    const split = coverage.split ? ` of the ${coverage.split} split` : '';
    const all = coverage.stored >= coverage.ranked;
    const parts = [el('p', {class: 'krnn-hint', 'data-testid': 'coverage-text'},
      `The ranking saw ${formatCount(coverage.ranked)} characters${split}; this text holds `
      + (all ? 'all of them.' : `the first ${formatCount(coverage.stored)} (python scripts/analyze.py RUN `
        + `--summary-chars ${coverage.ranked} stores them all).`))];
    const feature = state.feature;
    const counts = feature !== null && Object.hasOwn(coverage.features, feature) ? coverage.features[feature] : null;
    if (counts && counts.stored === 0) {
      parts.push(message('warning', `${feature} never occurs in the ${formatCount(coverage.stored)} characters `
        + `stored, so this cell cannot show it here; it occurs at ${formatCount(counts.ranked)} of the `
        + `${formatCount(coverage.ranked)} characters ranked. Store more: python scripts/analyze.py RUN `
        + `--summary-chars ${coverage.ranked}`));
    } else if (counts) {
      parts.push(el('p', {class: 'krnn-hint', 'data-testid': 'coverage-feature'},
        `${feature}: at ${formatCount(counts.stored)} of the characters stored (${formatCount(counts.ranked)} of `
        + `those ranked); first at character ${formatCount(counts.first + 1)}.`));
    }
    replace(coverageBox, ...parts);
  }

  // Draws the view for the state; resolves to false when it could not draw a page (no data, or an error shown).
  async function load() {
    const settled = settle();
    if (!settled) {
      page = null;
      replace(controls);
      replace(bandsBar);
      replace(pager);
      replace(bandLegend);
      replace(scaleRow);
      textBox.replaceChildren();
      replace(ranking);
      replace(coverageBox);
      replace(stepsNote);
      textGrid.hidden = true;                      // no empty search box, readout or text naming a cell nobody chose
      probePanel.show(null);
      replace(status, message('info', 'None of the selected runs has colored-text summaries (text and '
        + 'activations): run scripts/analyze.py on a trained model, or tick another run.'));
      return false;
    }
    drawControls(settled);
    textGrid.hidden = false;
    probePanel.show(settled.run, {layer: state.layer, name: state.name, cell: state.cell});
    if (resultsFor !== null && resultsFor !== shownKey()) {   // results of another step, state or cell: not these
      resultsFor = null;
      search.reset();
    }
    replace(stepsNote, missingStepsNote(settled.run));
    drawBands(settled.run);
    drawPager(settled.run.text.length);
    drawRanking(settled.run);
    drawCoverage();
    const started = performance.now();
    const token = ++request;
    replace(status, el('p', {class: 'krnn-hint'}, 'Loading…'));
    try {
      const data = await api('colored_text', {run: state.run, step: state.step, layer: state.layer, name: state.name,
                                              cell: state.cell, offset: state.offset, limit: state.limit,
                                              bands: state.bands.map((b) => `${b.layer}:${b.name}:${b.cell}`).join(',')});
      if (token !== request) return true;
      page = data;
      replace(status);
      drawText(data);
      readout.textContent = `Hover a character to see its value (${data.layer} ${describe(data.name)} cell `
        + `${data.cell}, step ${formatCount(data.step)}).`;
      if (scrollToMatch) revealMatch();
      // User Timing for DevTools and benchmarks/bench_plugin.py: request to the frame after the page is drawn
      requestAnimationFrame(() => setTimeout(() => performance.measure('krnn-colored-text-page', {start: started}), 0));
      return true;
    } catch (error) {
      if (token !== request) return true;
      page = null;
      textBox.replaceChildren();
      replace(bandLegend);
      replace(scaleRow);
      replace(status, message('error', error.message));
      return false;
    }
  }

  // Scrolls the text box (not the page around it) so the first character of the match jumped to is in its middle;
  // again in the next two frames, as the blocks of lines scrolled past get laid out and their heights settle.
  function revealMatch() {
    scrollToMatch = false;
    const first = state.match && page.spanAt.get(state.match.start);
    if (!first) return;
    const center = () => {
      textBox.scrollTop += first.getBoundingClientRect().top - textBox.getBoundingClientRect().top
        - textBox.clientHeight / 2;
    };
    center();
    requestAnimationFrame(() => { center(); requestAnimationFrame(center); });
  }

  // Opens the page holding characters [start, end) of the text and marks them.
  function jumpTo({start, end}) {
    state.match = {start, end};
    const aligned = Math.floor(start / state.limit) * state.limit;
    state.offset = end <= aligned + state.limit ? aligned : start;
    scrollToMatch = true;
    return load();
  }

  // Steps through the run's text steps from the current one (from the first when at the last), showing each for
  // about PLAY_STEP_MS once drawn, until the last step or Pause.
  async function play() {
    const run = runEntry();
    if (!run || run.text.steps.length < 2) return;
    const token = ++playToken;
    state.playing = true;
    showPlaying();
    if (run.text.steps.indexOf(state.step) >= run.text.steps.length - 1) {
      state.step = run.text.steps[0];
      if (!(await load())) return finishPlaying(token);
    }
    for (let next = nextStep(); next !== undefined; next = nextStep()) {
      await new Promise((resolve) => setTimeout(resolve, PLAY_STEP_MS));
      if (token !== playToken) return;
      state.step = next;
      if (!(await load()) || token !== playToken) break;
    }
    return finishPlaying(token);
  }

  // The step after the current one in the run's text summaries (undefined at the last).
  function nextStep() {
    const steps = runEntry()?.text.steps || [];
    return steps[steps.indexOf(state.step) + 1];
  }

  function finishPlaying(token) {
    if (token === playToken) stopPlaying();
  }

  function stopPlaying() {
    playToken += 1;
    state.playing = false;
    showPlaying();
  }

  // The play button's label and pressed state.
  function showPlaying() {
    if (!playButton) return;
    playButton.textContent = state.playing ? '❚❚ Pause' : '▶ Play';
    playButton.setAttribute('aria-pressed', state.playing ? 'true' : 'false');
  }

  // The pattern search panel: the selection, a threshold, Find similar, and the matches found.
  function createSearchPanel() {
    const selectionInfo = el('span', {class: 'krnn-selection', 'data-testid': 'selection'});
    const threshold = el('input', {type: 'number', name: 'threshold', min: -1, max: 1, step: 0.05, value: 0.5,
                                   class: 'krnn-threshold-input'});
    const output = el('div', {class: 'krnn-search-output', 'aria-live': 'polite'});
    const panel = el('section', {class: 'krnn-search', 'aria-label': 'Pattern search', 'data-export': 'skip'},
      el('div', {class: 'krnn-search-bar'}, selectionInfo,
        el('label', {class: 'krnn-field'}, el('span', {}, 'Threshold'), threshold),
        el('button', {type: 'button', class: 'krnn-button', 'data-action': 'search',
                      title: 'Find other places where the cells this selection turns on are on for a similar length',
                      click: () => find()}, 'Find similar')),
      output);
    let searchRequest = 0;

    // What is selected, or how to select.
    function showSelection() {
      const range = state.selection;
      if (!range) {
        selectionInfo.textContent = 'Select characters (drag over the text, or click one and shift+click another) '
          + 'to find where the same cells switch on.';
        return;
      }
      const count = range.end - range.start;
      const excerpt = page && range.start >= page.offset && range.end <= page.offset + page.characters.length
        ? ` ${JSON.stringify(shortened(page.characters.slice(range.start - page.offset, range.end - page.offset).join('')))}`
        : '';
      selectionInfo.textContent = `Selected characters ${formatCount(range.start + 1)}–${formatCount(range.end)} `
        + `(${formatCount(count)})${excerpt}`;
    }

    // Asks /search about the selection, after checking it here (1 to MAX_SELECTION characters).
    async function find() {
      const range = state.selection;
      const count = range ? range.end - range.start : 0;
      const token = ++searchRequest;
      if (!page) return replace(output, message('info', 'No text is shown to search.'));
      if (count < 1) {
        return replace(output, message('info', 'Nothing is selected: drag over some characters of the text (or click '
          + 'one and shift+click another), then Find similar.'));
      }
      if (count > MAX_SELECTION) {
        return replace(output, message('warning', `The selection has ${formatCount(count)} characters; pattern search `
          + `takes 1 to ${formatCount(MAX_SELECTION)}. Select fewer.`));
      }
      const level = Number(threshold.value);
      if (threshold.value === '' || !Number.isFinite(level) || level < -1 || level > 1) {
        return replace(output, message('warning', 'The threshold must be a number from -1 to 1.'));
      }
      replace(output, el('p', {class: 'krnn-hint'}, 'Searching…'));
      try {
        const data = await api('search', {run: page.run, step: page.step, layer: page.layer, name: page.name,
                                          start: range.start, end: range.end, threshold: level, limit: SEARCH_LIMIT,
                                          context: SEARCH_CONTEXT});
        if (token === searchRequest) {
          drawResults(data);
          resultsFor = shownKey();
        }
      } catch (error) {
        if (token === searchRequest) replace(output, message('error', error.message));
      }
    }

    // The cells found, the rule, the total, and each match in context (a button that jumps to it).
    function drawResults(data) {
      const shown = data.matches.length;
      replace(output,
        el('p', {class: 'krnn-search-cells'}, data.cells.length
          ? `${data.cells.length === 1 ? 'cell' : 'cells'} ${data.cells.join(', ')} of ${data.layer} ${data.name} `
            + `switch on (≥ ${data.threshold}) with characters ${formatCount(data.start + 1)}–${formatCount(data.end)} `
            + `at step ${formatCount(data.step)}`
          : data.note),
        el('p', {class: 'krnn-hint krnn-similarity'}, data.similarity),
        el('p', {class: 'krnn-search-total'}, `${formatCount(data.total)} ${data.total === 1 ? 'match' : 'matches'}`
          + (data.total > shown ? `, the best ${formatCount(shown)} listed` : '')),
        shown ? el('ol', {class: 'krnn-search-list'}, data.matches.map((m) => el('li', {},
          el('button', {type: 'button', class: 'krnn-search-result', 'data-start': m.start, 'data-end': m.end,
                        title: `Characters ${formatCount(m.start + 1)}–${formatCount(m.end)}: show them in the text`,
                        click: () => jumpTo(m)},
             el('span', {class: 'krnn-search-before'}, el('span', {}, oneLine(m.before))),
             el('mark', {}, oneLine(m.text)),
             el('span', {class: 'krnn-search-after'}, oneLine(m.after)),
             el('span', {class: 'krnn-search-score'},
                `${m.score.toFixed(3)} · ${m.cells_on} ${m.cells_on === 1 ? 'cell' : 'cells'} on`))))) : null);
    }

    function reset() {
      searchRequest += 1;
      replace(output);
      showSelection();
    }

    showSelection();
    return {element: panel, showSelection, reset, find};
  }

  // Shows what `params` names: {run, step, layer, name, cell, offset, bands: [{layer, name, cell}]}, each optional
  // (the offset 0 and the bands kept when absent; settle() fills in or corrects the rest).
  function open(params) {
    stopPlaying();
    for (const key of ['run', 'layer', 'name', 'cell']) if (Object.hasOwn(params, key)) state[key] = params[key];
    state.feature = typeof params.feature === 'string' ? params.feature : null;
    if (Object.hasOwn(params, 'step')) state.step = params.step === null ? null : Number(params.step);
    if (Object.hasOwn(params, 'cell')) state.picked = true;
    const bands = typeof params.bands === 'string' ? parsed(params.bands) : params.bands;      // a link's: JSON
    if (Array.isArray(bands)) {
      state.bands = bands.slice(0, MAX_BANDS).filter((b) => b && typeof b === 'object')
        .map((b) => ({layer: String(b.layer), name: String(b.name), cell: Number(b.cell) || 0}));
    }
    if (PAGE_SIZES.includes(Number(params.limit))) state.limit = Number(params.limit);
    state.offset = Object.hasOwn(params, 'offset') ? Math.max(0, Number(params.offset) || 0) : 0;
    const selection = /^(\d+)-(\d+)$/.exec(String(params.selection ?? ''));
    return load().then((drawn) => {
      if (drawn && selection && Number(selection[2]) > Number(selection[1])) {   // after settle(), which clears it
        state.selection = {start: Number(selection[1]), end: Number(selection[2])};
        state.anchor = state.selection.start;
        markRanges();
        search.showSelection();
      }
      return drawn;
    });
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step, layer: state.layer, name: state.name, cell: state.cell,
            offset: state.offset, limit: state.limit, feature: state.feature,
            bands: state.bands.length ? JSON.stringify(state.bands) : '',
            selection: state.selection ? `${state.selection.start}-${state.selection.end}` : ''};
  }

  // What the view shows now, for the export's caption.
  function caption() {
    if (!page) {
      return {title: 'Colored text', run: state.run, step: state.step, layer: state.layer,
              cell: state.run === null ? null : state.cell, details: null};
    }
    const end = page.offset + page.characters.length;
    const bands = page.bands.map((b) => `${b.layer} ${b.name} ${b.cell}`);
    return {title: 'Colored text', run: page.run, step: page.step, layer: page.layer, cell: page.cell,
            details: `${describe(page.name)}, characters ${formatCount(page.offset + 1)}–${formatCount(end)}; `
              + `colour scale ${scaleLabels(page.range).join(' / ')} = red / white / blue`
              + (bands.length ? `; bands: ${bands.join(', ')}` : '')};
  }

  return {element, refresh: load, open, caption, linkState};
}

// JSON.parse of a link's value, or null when it is not JSON.
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return null;
  }
}

// Stripes under each character, one per band, in band order from the top: inset box-shadows over the span's bottom
// padding (colored_text.css makes room for them), the last band's 3px at the bottom drawn over the others, each
// band's 3px above it (one style property per span: custom properties or a gradient per span cost more to set and
// to draw for 10,000 characters); each band's value in data-bands ("0.125,-0.500", NaN for none).
function paintBands(spans, bands, firstIndex) {
  const offsets = bands.map((_, k) => `inset 0 -${3 * (bands.length - k)}px `);
  for (const span of spans) {
    const i = Number(span.dataset.index) - firstIndex;
    let shadow = '';
    let values = '';
    for (let k = bands.length - 1; k >= 0; k--) {
      shadow += `${shadow ? ', ' : ''}${offsets[k]}${activationColor(bands[k].values[i], bands[k].range)}`;
    }
    for (let k = 0; k < bands.length; k++) {
      const value = bands[k].values[i];
      values += `${k ? ',' : ''}${value === null || value === undefined ? 'NaN' : value.toFixed(3)}`;
    }
    span.style.boxShadow = shadow;
    span.dataset.bands = values;
  }
}

// The characters [start, end) the document's selection covers in `textBox` (by the spans' data-index), or null.
function selectedSpans(textBox) {
  if (!hasTextSelection(textBox)) return null;
  // the clone holds every span the range touches, those at its ends cut to their selected part (maybe empty)
  const spans = [...window.getSelection().getRangeAt(0).cloneContents().querySelectorAll('span[data-index]')]
    .filter((span) => span.textContent !== '');
  if (!spans.length) return null;
  const indices = spans.map((span) => Number(span.dataset.index));
  return {start: Math.min(...indices), end: Math.max(...indices) + 1};
}

// Whether the document's selection is a range (not a caret) that reaches into `textBox`.
function hasTextSelection(textBox) {
  const selection = window.getSelection();
  return Boolean(selection && selection.rangeCount && !selection.isCollapsed
                 && selection.getRangeAt(0).intersectsNode(textBox));
}

// Text on one line: newlines as the mark, carriage returns dropped.
function oneLine(text) {
  return text.replace(/\r/g, '').replace(/\n/g, NEWLINE_MARK);
}

// At most 60 characters: the start and the end of a longer text.
function shortened(text) {
  const characters = Array.from(oneLine(text));
  return characters.length > 60 ? `${characters.slice(0, 30).join('')}…${characters.slice(-29).join('')}` : oneLine(text);
}

function clampCell(cell, units) {
  return Math.min(Math.max(0, Number(cell) | 0), units - 1);
}

// The states and gates of `layer`, and one of them (undefined when the run lacks it).
function namesOf(run, layer) {
  return run.activations.filter((a) => a.layer === layer).map((a) => a.name);
}
function seriesOf(run, layer, name) {
  return run.activations.find((a) => a.layer === layer && a.name === name);
}

// Whether a layer or state name can go in the bands parameter ("layer:name:cell" triples joined by commas).
function bandable(name) {
  return typeof name === 'string' && !name.includes(',');
}

// A band as the legend and readout name it.
function bandName(band) {
  return `${band.layer} ${describe(band.name)} cell ${band.cell}`;
}

// The name of a state or gate as shown in the menu.

function cellState(run, layer) {
  return run.activations.some((a) => a.layer === layer && a.name === 'c') ? 'c' : 'h';
}

// What the colours of a page mean, in words beside the key.
function scaleNote(range) {
  return isGateRange(range) ? 'a gate: 0 closed (red), 0.5 (white), 1 open (blue)'
    : 'the paper\'s Figure 2 scale: −1 red, 0 white, +1 blue';
}
