// Shared helpers of the karpathy_rnn plugin's views: requests, DOM building (text only, never HTML), colours.

// One GET of a plugin route; resolves to its JSON, or throws an Error carrying the route's message.
export async function api(route, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const url = query.toString() ? `${route}?${query}` : route;
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`TensorBoard did not answer ${route}: ${error.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    throw new Error(`${route} answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : `${route} answered ${response.status}`);
  return body;
}

// An element with attributes (strings), properties (functions: listeners) and children (nodes or text).
export function el(tag, attributes = {}, ...children) {
  const node = tag === 'svg' || SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(key.replace(/^on/, ''), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const SVG_TAGS = new Set(['circle', 'line', 'path', 'text', 'g', 'title', 'rect']);

// Removes every child of `node` and appends `children`.
export function replace(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

// A message box: kind 'info' (nothing to show yet), 'warning' (some data is unreadable) or 'error'.
export function message(kind, text) {
  return el('div', {class: `krnn-message krnn-${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
}

// A labelled <select> of [value, label] options; onchange(value).
export function select(label, options, value, onchange, name) {
  const node = el('select', {name, change: () => onchange(node.value)},
    options.map(([v, text]) => el('option', {value: v, title: String(text)}, endOf(String(text)))));
  node.value = String(value);
  return el('label', {class: 'krnn-field'}, el('span', {}, label), node);
}

// A long name (a run's path) cut at its start, so the end that tells runs apart stays: '…lstm-2x128/analysis/test'.
export function endOf(name, longest = 44) {
  return name.length > longest ? `…${name.slice(-(longest - 1))}` : name;
}

// The paper's colour scale (render.activation_colors): -1 red (255,0,0), 0 white, +1 blue (0,0,255), clipped. A
// value of another range (a gate's [0, 1]) is placed on it first: its low end red, its middle white, its high end blue.
export function activationColor(value, range = STATE_RANGE) {
  const [r, g, b] = activationRgb(value, range);
  return `rgb(${r}, ${g}, ${b})`;
}

export const STATE_RANGE = [-1, 1];

// [r, g, b] (0-255) of activationColor(value, range).
function activationRgb(value, range = STATE_RANGE) {
  if (value === null || value === undefined || Number.isNaN(value)) return [255, 255, 255];
  const [low, high] = validRange(range);
  const v = Math.max(-1, Math.min(1, ((value - low) * 2) / (high - low) - 1));
  const fade = 1 - Math.abs(v);
  const channel = (x) => Math.round(x * 255);
  return [channel(v <= 0 ? 1 : fade), channel(fade), channel(v >= 0 ? 1 : fade)];
}

// [low, high] of a route's `range` when it is two finite numbers low < high, else the paper's [-1, 1].
export function validRange(range) {
  return Array.isArray(range) && range.length === 2 && range.every(Number.isFinite) && range[0] < range[1]
    ? range : STATE_RANGE;
}

// The labels of a scale's low end, middle and high end (render.scale_ends): ['−1', '0', '+1'], ['0', '0.5', '1'].
export function scaleLabels(range) {
  const [low, high] = validRange(range);
  const signed = low < 0 && high > 0;
  const label = (v) => `${signed && v > 0 ? '+' : ''}${Number(v.toPrecision(6))}`.replace('-', '\u2212');
  return [label(low), label((low + high) / 2), label(high)];
}

// Whether `range` is a gate's 0..1 (not the -1..+1 of a state).
export function isGateRange(range) {
  const [low, high] = validRange(range);
  return low === 0 && high === 1;
}

// A colour key: each end and the middle of `range` as a chip in its colour, red-white and white-blue bars between,
// a title saying what the scale is (`what`: the values it colours).
export function scaleLegend(range, what = '') {
  const [low, high] = validRange(range);
  const labels = scaleLabels(range);
  const chip = (value, label) => el('span', {class: 'krnn-legend-chip', style: `background:${activationColor(value, range)};`
                                               + `color:${textColor(value, range)}`}, label);
  const scale = isGateRange(range) ? 'gate value 0 (closed, red) to 1 (open, blue), 0.5 white'
    : `${labels[0]} red, ${labels[1]} white, ${labels[2]} blue`;
  return el('span', {class: 'krnn-legend', 'data-range': `${low},${high}`,
                     title: `Colour scale: ${what ? `${what}, ` : ''}${scale}`},
    chip(low, labels[0]), el('span', {class: 'krnn-legend-bar krnn-legend-low'}),
    chip((low + high) / 2, labels[1]), el('span', {class: 'krnn-legend-bar krnn-legend-high'}),
    chip(high, labels[2]));
}

// Black or white text, whichever contrasts more with activationColor(value, range) (render.text_colors): WCAG 2's
// relative luminance; the better of the two is never below 4.58:1 (AA asks 4.5:1).
export function textColor(value, range = STATE_RANGE) {
  const [r, g, b] = activationRgb(value, range);
  const linear = (c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 ? '#fff' : '#000';
}

// A warning when TensorBoard keeps fewer of a run's analysed training steps than the analysis wrote (its
// --samples_per_plugin set lower), naming the flag that shows them all; null when every step is there.
export function missingStepsNote(run) {
  const training = run && run.training;
  if (!training || !(training.written > training.steps.length)) return null;
  return el('div', {class: 'krnn-message krnn-warning', role: 'status', 'data-testid': 'missing-steps'},
    `${formatCount(training.steps.length)} of the ${formatCount(training.written)} analysed steps are shown: `
    + 'TensorBoard keeps a sample of each tag\'s steps. Restart it with '
    + `--samples_per_plugin=karpathy_rnn=${training.written} to see them all.`);
}

// Keyboard use of a chart's points (WCAG 2.1 AA, 2.1.1 and 2.4.7): one tab stop per chart; the arrow keys move
// between its points in order (Home, End: the first, the last), a focused point shows what hovering it shows (its
// 'mouseenter' handlers run) and is outlined; with `clickable`, Enter or Space does what a click does.
export function keyboardPoints(container, selector, clickable = false) {
  const points = () => [...container.querySelectorAll(selector)].filter((p) => p.style.display !== 'none');
  points().forEach((point, k) => {
    point.setAttribute('tabindex', k === 0 ? '0' : '-1');
    point.setAttribute('role', clickable ? 'button' : 'img');
    point.addEventListener('focus', () => {
      const title = point.querySelector('title');
      if (title) point.setAttribute('aria-label', title.textContent);
      point.dispatchEvent(new MouseEvent('mouseenter'));
    });
  });
  container.addEventListener('keydown', (event) => {
    const list = points();
    const at = list.indexOf(document.activeElement);
    if (at < 0) return;
    if (clickable && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      list[at].dispatchEvent(new MouseEvent('click', {bubbles: true}));
      return;
    }
    const moves = {ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0,
                   End: list.length - 1};
    if (!Object.hasOwn(moves, event.key)) return;
    event.preventDefault();
    const next = list[Math.max(0, Math.min(list.length - 1, moves[event.key]))];
    list[at].setAttribute('tabindex', '-1');
    next.setAttribute('tabindex', '0');
    next.focus();
  });
  return container;
}

// How the views name a state or gate in their menus: 'c (tanh, cell state)', 'f (forget gate)', ...; others as given.
export function describe(name) {
  return DESCRIPTIONS.get(name) || name;
}
// A Map: names come from the server (one named `constructor` must stay a name).
const DESCRIPTIONS = new Map([['c', 'c (tanh, cell state)'], ['h', 'h (output)'], ['i', 'i (input gate)'],
  ['f', 'f (forget gate)'], ['o', 'o (output gate)'], ['g', 'g (candidate)'], ['r', 'r (reset gate)'],
  ['z', 'z (update gate)'], ['candidate', 'candidate']]);

// TensorBoard's run colours, in its order.
export const RUN_COLORS = ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#9334e6', '#7cb342', '#e8710a'];

export function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

const NEWLINE_MARK = '\u21b5';

// How the text views show one character (a code point): a newline as a mark and the break, a carriage return as
// nothing, any other as itself.
export function shownCharacter(character) {
  return character === '\n' ? `${NEWLINE_MARK}\n` : character === '\r' ? '' : character;
}

const BLOCK_LINES = 40;             // a block of text ends at the newline that makes this many lines ...
const BLOCK_CHARACTERS = 4000;      // ... or at the first newline after this many characters

// A coloured text: a span per character whose background is its value on `range` (its letter black or white),
// index `firstIndex + i` in data-index, newlines shown as a mark. A carriage return gets an empty span with
// `keepCarriageReturn` (so spans stay one per value), else none. The spans go in blocks of whole lines with
// `content-visibility: auto`, so Chromium lays out and paints only the blocks in view. Returns {fragment, spans}.
export function coloredTextBlocks(characters, values, firstIndex = 0, keepCarriageReturn = false, range = STATE_RANGE) {
  const fragment = document.createDocumentFragment();
  const spans = [];
  let block = null;
  let lines = 0;
  let size = 0;
  characters.forEach((character, i) => {
    if (!block) {
      block = fragment.appendChild(document.createElement('div'));
      block.className = 'krnn-block';
      lines = size = 0;
    }
    if (character === '\r' && !keepCarriageReturn) return;
    const span = document.createElement('span');
    span.textContent = character === '\n' ? NEWLINE_MARK + '\n' : character === '\r' ? '' : character;
    span.style.backgroundColor = activationColor(values[i], range);
    span.style.color = textColor(values[i], range);
    span.dataset.index = String(firstIndex + i);
    block.append(span);
    spans.push(span);
    size += 1;
    if (character === '\n' && (++lines >= BLOCK_LINES || size >= BLOCK_CHARACTERS)) block = null;
  });
  return {fragment, spans};
}

// The run and step a panel view's open(params) asks for: {run, step}, null where params leave it to the view (every
// ticked run, each at its latest step).
export function requestedRunStep(params = {}) {
  const given = (key) => Object.hasOwn(params, key) && params[key] !== null && params[key] !== '';
  return {run: given('run') ? String(params.run) : null, step: given('step') ? Number(params.step) : null};
}

// How a caption's line for one panel starts: "run (step N): " when the view shows several panels (the step only when
// they differ), else nothing.
export function panelLabel(data, panels, steps) {
  return panels > 1 ? `${data.run}${steps > 1 ? ` (step ${data.step})` : ''}: ` : '';
}
