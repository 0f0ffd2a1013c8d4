// Error oracles (the paper's Figure 6, section 4.4): each selected run's errors as a pie of the slices the oracles
// removed in order, starting at the top and going counter-clockwise, with a table of counts and percentages.
// Clicking a slice or a row lists that slice's examples under the table: pieces of the split with the characters
// its oracle fixed in blue and, for a memory oracle, the repeated text in a red box.
import {api, el, formatCount, message, panelLabel, replace, requestedRunStep, shownCharacter} from '../common.js';

// Hue and saturation per oracle group (the paper's order); slices within a group get lighter one by one.
// Maps, not objects: group names come from the server, and one named `constructor` or `__proto__` must stay data.
const GROUP_COLORS = new Map([['n-gram', [217, 70]], ['memory', [140, 50]], ['rare words', [275, 50]],
                              ['word', [30, 85]], ['punctuation', [180, 55]], ['boost', [0, 0]], ['remaining', [355, 70]]]);
const RADIUS = 110;

export function createView(app) {
  const status = el('div', {class: 'krnn-status'});
  const panels = el('div', {class: 'krnn-panels krnn-oracle-panels'});
  const element = el('div', {class: 'krnn-view krnn-oracle'}, status, panels);
  const chosen = new Map();           // run -> the index of the slice whose examples it lists (kept across redraws)
  const state = {run: null, step: null};    // set by open(): only that run, at that step (null: every run, latest)
  let shown = [];                     // the answers drawn now (or {error, run})
  let request = 0;

  async function load() {
    const runs = app.selectedRuns().filter((r) => r.oracle && (state.run === null || r.run === state.run));
    const token = ++request;
    if (!runs.length) {
      shown = [];
      replace(panels);
      replace(status, message('info', state.run !== null
        ? `The run ${state.run} is not ticked or has no oracle breakdown; tick it, or another run.`
        : 'None of the selected runs has an oracle breakdown yet (the oracle analysis writes one per model); tick '
          + 'another run.'));
      return;
    }
    replace(status, runs.length > 2 ? el('p', {class: 'krnn-hint'}, `${runs.length} runs selected: two fit side by side, the rest wrap below.`) : null);
    const results = await Promise.all(runs.map((r) => api('oracle', {run: r.run, step: state.step})
      .catch((error) => ({error, run: r.run}))));
    if (token !== request) return;
    shown = results;
    replace(panels, results.map((data) => data.error
      ? el('figure', {class: 'krnn-panel krnn-oracle-panel'}, el('figcaption', {}, data.run), message('error', data.error.message))
      : panel(data, app.runColor(data.run), chosen)));
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

  // What the view shows now, for the export: the runs, their step (when one), errors and the slice listed.
  function caption() {
    const drawn = shown.filter((data) => !data.error);
    const steps = [...new Set(drawn.map((data) => data.step))];
    const details = drawn.map((data) => {
      const slice = chosen.has(data.run) ? data.slices[chosen.get(data.run)] : null;
      return `${panelLabel(data, shown.length, steps.length)}`
        + `${formatCount(data.errors)} errors in ${formatCount(data.characters)} characters`
        + `${data.split ? ` of the ${data.split} split` : ''}${data.model ? `, ${data.model}` : ''}`
        + `${slice ? `; examples of ${slice.name}` : ''}`;
    });
    return {title: 'Error oracles', run: shown.map((data) => data.run).join(', ') || state.run,
            step: steps.length === 1 ? steps[0] : state.step, layer: null, cell: null, details: details.join('; ')};
  }

  // What a link must hold to open this picture again (open() takes it back).
  function linkState() {
    return {run: state.run, step: state.step};
  }

  return {element, refresh, open, caption, linkState};
}

const LABEL_CHARACTER = 6.6;        // px a label character takes (11 px sans-serif), to keep labels inside

// A pie label that fits in `room` px beside the pie (the table below and the tooltip have the whole name).
function fitted(name, percent, room) {
  const fits = Math.max(3, Math.floor(room / LABEL_CHARACTER) - percent.length - 1);
  const short = name.length > Math.min(16, fits) ? `${name.slice(0, Math.min(16, fits) - 1)}…` : name;
  return `${short} ${percent}`;
}

function sliceColors(slices) {
  const counts = new Map();
  const seen = new Map();
  for (const s of slices) counts.set(s.group, (counts.get(s.group) || 0) + 1);
  return slices.map((s, i) => {
    const [hue, saturation] = GROUP_COLORS.get(s.group) || [(i * 47) % 360, 45];
    const k = (seen.get(s.group) ?? -1) + 1;
    seen.set(s.group, k);
    const count = counts.get(s.group);
    const lightness = 38 + (count > 1 ? (k / (count - 1)) * 38 : 12);
    return `hsl(${hue}, ${saturation}%, ${lightness.toFixed(0)}%)`;
  });
}

// The point at `fraction` of the way round, counter-clockwise from the top.
function around(fraction, radius) {
  const angle = fraction * 2 * Math.PI;
  return [-radius * Math.sin(angle), -radius * Math.cos(angle)];
}

function panel(data, runColor, chosen) {
  const colors = sliceColors(data.slices);
  const total = data.errors;
  const width = 2 * RADIUS + 260;           // room for the labels either side (they are shortened to fit)
  const height = 2 * RADIUS + 60;
  const svg = el('svg', {width, height, viewBox: `${-width / 2} ${-height / 2} ${width} ${height}`,
                         class: 'krnn-pie', role: 'img', 'aria-label': `error breakdown of ${data.run}`});
  let start = 0;
  data.slices.forEach((slice, i) => {
    if (!slice.errors || !total) return;
    const share = slice.errors / total;
    const label = `${slice.name}: ${formatCount(slice.errors)} errors (${(100 * share).toFixed(1)}%)`;
    let shape;
    if (share >= 0.9999) {
      shape = el('circle', {cx: 0, cy: 0, r: RADIUS, fill: colors[i]});
    } else {
      const [x0, y0] = around(start, RADIUS);
      const [x1, y1] = around(start + share, RADIUS);
      // counter-clockwise on screen: SVG sweep-flag 0
      shape = el('path', {d: `M0,0 L${x0.toFixed(2)},${y0.toFixed(2)} A${RADIUS},${RADIUS} 0 ${share > 0.5 ? 1 : 0} 0 `
                            + `${x1.toFixed(2)},${y1.toFixed(2)} Z`, fill: colors[i]});
    }
    shape.setAttribute('class', 'krnn-slice');
    shape.setAttribute('data-slice', slice.name);
    shape.setAttribute('data-index', String(i));
    if (share < 0.9999) {                 // chosen, a slice is pulled out along its middle (a whole pie stays)
      const [dx, dy] = around(start + share / 2, SELECTED_SHIFT);
      shape.setAttribute('data-shift', `${dx.toFixed(2)} ${dy.toFixed(2)}`);
    }
    clickable(shape, i);
    shape.append(el('title', {}, label));
    svg.append(shape);
    if (share >= 0.03) {
      const [lx, ly] = around(start + share / 2, RADIUS + 18);
      const anchor = lx < -4 ? 'end' : lx > 4 ? 'start' : 'middle';
      const room = anchor === 'end' ? lx + width / 2 : anchor === 'start' ? width / 2 - lx : width;
      svg.append(el('text', {x: lx.toFixed(1), y: (ly + 4).toFixed(1), class: 'krnn-pie-label', 'text-anchor': anchor},
                    fitted(slice.name, `${(100 * share).toFixed(0)}%`, room - 4)));
    }
    start += share;
  });
  if (!total) svg.append(el('text', {x: 0, y: 0, 'text-anchor': 'middle', class: 'krnn-pie-label'}, 'no errors'));
  const table = el('table', {class: 'krnn-table'},
    el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'removed by'), el('th', {}, 'oracle'),
                    el('th', {class: 'krnn-number'}, 'errors'), el('th', {class: 'krnn-number'}, '% of errors'))),
    el('tbody', {}, data.slices.map((slice, i) => el('tr', clickable({'data-slice': slice.name, 'data-index': i,
                                                                      class: 'krnn-slice-row'}, i),
      el('td', {}, el('span', {class: 'krnn-swatch', style: `background:${colors[i]}`})),
      el('td', {}, slice.name), el('td', {class: 'krnn-hint'}, slice.group),
      el('td', {class: 'krnn-number'}, formatCount(slice.errors)),
      el('td', {class: 'krnn-number'}, total ? `${(100 * slice.errors / total).toFixed(1)}%` : '–')))));
  const rate = data.characters ? (100 * total / data.characters).toFixed(1) : '0';
  const examples = el('div', {class: 'krnn-examples', 'aria-live': 'polite'},
    el('p', {class: 'krnn-hint'}, data.slices.some((slice) => slice.examples.length)
      ? 'Click a slice or a row to list its examples.' : 'This breakdown carries no examples.'));
  const figure = el('figure', {class: 'krnn-panel krnn-oracle-panel', 'data-run': data.run},
    el('figcaption', {}, el('span', {class: 'krnn-swatch', style: `background:${runColor}`}), data.run,
       data.model ? el('span', {class: 'krnn-model'}, `· ${data.model}`) : null),
    el('p', {class: 'krnn-hint'}, `${formatCount(total)} errors (p < ${data.threshold}) in ${formatCount(data.characters)} `
      + `characters${data.split ? ` of the ${data.split} split` : ''} (${rate}%), step ${formatCount(data.step)}`),
    svg, table, examples);

  // Marks slice `index` (its pie slice pulled out, its row highlighted) and lists its examples.
  function choose(index) {
    chosen.set(data.run, index);
    for (const node of figure.querySelectorAll('.krnn-slice, .krnn-slice-row')) {
      const on = node.getAttribute('data-index') === String(index);
      node.classList.toggle('krnn-selected', on);
      node.setAttribute('aria-selected', on ? 'true' : 'false');
      if (node.hasAttribute('data-shift')) {
        if (on) node.setAttribute('transform', `translate(${node.getAttribute('data-shift')})`);
        else node.removeAttribute('transform');
      }
    }
    replace(examples, exampleList(data.slices[index], colors[index]));
    if (examples.isConnected) examples.scrollIntoView({block: 'nearest'});     // below a long table: into view
  }

  // `node` (an element, or the attributes of one) chooses slice `index` when clicked, or on Enter or Space.
  function clickable(node, index) {
    const keydown = (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      choose(index);
    };
    if (!(node instanceof Element)) return {...node, tabindex: 0, click: () => choose(index), keydown};
    node.setAttribute('tabindex', '0');
    node.addEventListener('click', () => choose(index));
    node.addEventListener('keydown', keydown);
    return node;
  }

  if (chosen.has(data.run) && chosen.get(data.run) < data.slices.length) choose(chosen.get(data.run));
  return figure;
}

const SELECTED_SHIFT = 8;           // px a chosen slice is pulled out of the pie

// The examples of one slice: a heading, what the marks mean, then each example's fragments joined by " … ".
function exampleList(slice, color) {
  const count = slice.examples.length;
  const heading = el('div', {class: 'krnn-examples-heading'},
    el('span', {class: 'krnn-swatch', style: `background:${color}`}),
    el('span', {class: 'krnn-examples-title'}, count
      ? `${count} example${count === 1 ? '' : 's'} of ${slice.name}` : slice.name),
    el('span', {class: 'krnn-hint'}, `(${slice.group || 'no group'})`));
  if (!count) {
    return [heading, el('p', {class: 'krnn-hint krnn-no-examples'}, `No examples of ${slice.name} in this summary.`)];
  }
  const repeats = slice.examples.some((example) => example.fragments.some((fragment) => fragment.repeat.length));
  const legend = el('p', {class: 'krnn-hint krnn-examples-legend'},
    el('span', {class: 'krnn-error-character'}, 'blue'), ': errors this oracle removes',
    repeats ? ['; ', el('span', {class: 'krnn-repeat'}, 'red box'), ': the text repeated'] : null);
  return [heading, legend, el('ol', {class: 'krnn-example-list'}, slice.examples.map((example, k) =>
    el('li', {class: 'krnn-example', 'data-example': k}, example.fragments.flatMap((fragment, j) =>
      [j ? el('span', {class: 'krnn-gap', title: 'text left out'}, ' … ') : null, fragmentText(fragment)]))))];
}

// One piece of the split: its characters (code points, as the offsets count them), those in `errors` highlighted
// one by one, those in a `repeat` span inside a box.
function fragmentText(fragment) {
  const characters = Array.from(fragment.text);
  const errors = new Set(fragment.errors);
  const repeats = new Map(fragment.repeat.map(([from, to]) => [from, to]));
  const node = el('span', {class: 'krnn-fragment', 'data-start': fragment.start,
                           title: `characters ${formatCount(fragment.start)}–`
                             + `${formatCount(fragment.start + characters.length)} of the split`});
  let box = node;                   // where characters go: the fragment, or the box of a repeat in it
  let end = -1;
  let plain = '';
  const flush = () => {
    if (plain) box.append(plain);
    plain = '';
  };
  characters.forEach((character, i) => {
    if (i === end) {
      flush();
      box = node;
    }
    if (repeats.has(i)) {
      flush();
      end = repeats.get(i);
      box = node.appendChild(el('span', {class: 'krnn-repeat', 'data-from': i, 'data-to': end}));
    }
    if (errors.has(i)) {
      flush();
      box.append(el('span', {class: 'krnn-error-character', 'data-offset': i}, shownCharacter(character)));
    } else {
      plain += shownCharacter(character);
    }
  });
  flush();
  return node;
}
