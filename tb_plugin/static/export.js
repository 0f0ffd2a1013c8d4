// Export of what a view shows now, as one standalone file: HTML (a copy of the view's markup without its controls,
// every stylesheet of the page inlined, a caption) or PNG at print resolution (the same markup in an SVG
// <foreignObject>, drawn on a <canvas>). No library and no request beyond the page's own stylesheets; the files
// themselves load nothing (no script, no handler, no external URL). Scripts call window.krnnExport.
import {el, formatCount} from './common.js';

const PNG_SCALE = 3;                       // device pixels per CSS pixel: 3 x 96 = 288 dpi
const MAX_CANVAS_SIDE = 16384;             // Chromium's largest canvas side ...
const MAX_CANVAS_AREA = 268435456;         // ... and area (pixels)
const FIGURE_PADDING = 16;                 // px around the view in an export (.krnn-export's padding in export.css)
const QUIET_MS = 300;                      // a view has drawn when its DOM has not changed for this long ...
const LONGEST_WAIT_MS = 30000;             // ... or after this long at most
// Interactive chrome an export leaves out (a select or input elsewhere becomes its value as text).
const CHROME = '.krnn-controls, .krnn-pager, [data-export="skip"], button[data-action], script, noscript, template, '
  + 'iframe, object, embed, link, meta, base, audio, video, textarea, dialog';
// Attributes that may load something: kept only as a fragment (#id) or a data: image.
const LOADING_ATTRIBUTES = ['src', 'srcset', 'href', 'xlink:href', 'poster', 'background', 'action', 'formaction',
                            'data', 'ping', 'cite', 'longdesc', 'manifest'];
// Rules every export needs whatever the sheets say: common.js's text blocks drawn even off screen.
const EXPORT_CSS = '.krnn-block { content-visibility: visible !important; contain-intrinsic-size: none !important; }';

// --- what a view shows ------------------------------------------------------------------------------------------

// The view's caption() with every field present ({title, run, step, layer, cell, details}); for a view without one,
// the tab title and what its controls show (run, step, layer, cell menus), else the first selected run.
export function captionOf(view, viewSpec, app) {
  const blank = {title: viewSpec.title, run: null, step: null, layer: null, cell: null, details: ''};
  if (typeof view.caption !== 'function') return {...blank, ...fromControls(view.element, app)};
  const given = view.caption() || {};
  const caption = {...blank};
  for (const key of Object.keys(blank)) if (Object.hasOwn(given, key) && given[key] !== undefined) caption[key] = given[key];
  caption.title = caption.title || viewSpec.title;
  return caption;
}

// What a view's menus and fields (name=run/step/layer/cell) are set to; the run falls back to the first selected.
function fromControls(element, app) {
  const value = (name) => {
    const control = element.querySelector(`select[name="${name}"], input[name="${name}"]`);
    return control && control.value !== '' ? control.value : null;
  };
  const step = value('step');
  const cell = value('cell');
  return {run: value('run') ?? (app.selectedRuns()[0]?.run ?? null), step: step === null ? null : Number(step),
          layer: value('layer'), cell: cell === null ? null : Number(cell)};
}

// karpathy_rnn-<view>-<run>-step<step>[-<layer>][-cell<cell>].<extension>, each character outside [A-Za-z0-9._-]
// replaced by '_' (a run's path, markup, an emoji: one '_' per code point).
export function exportFilename(viewId, caption, extension) {
  const present = (value) => value !== null && value !== undefined && value !== '';
  const parts = ['karpathy_rnn', viewId];
  if (present(caption.run)) parts.push(String(caption.run));
  if (present(caption.step)) parts.push(`step${caption.step}`);
  if (present(caption.layer)) parts.push(String(caption.layer));
  if (present(caption.cell)) parts.push(`cell${caption.cell}`);
  const stem = Array.from(parts.join('-'), (c) => (/[A-Za-z0-9._-]/.test(c) ? c : '_')).join('');
  return `${stem.slice(0, 200)}.${extension}`;
}

// --- the exported markup ----------------------------------------------------------------------------------------

// The caption under an export: the title, then run, step, layer and cell (those that apply), the details, the date.
function captionElement(caption) {
  const facts = [['Run', caption.run], ['Step', typeof caption.step === 'number' ? formatCount(caption.step) : caption.step],
                 ['Layer', caption.layer], ['Cell', caption.cell]]
    .filter(([, value]) => value !== null && value !== undefined && value !== '');
  return el('figcaption', {class: 'krnn-export-caption'},
    el('div', {class: 'krnn-export-title'}, caption.title),
    facts.length ? el('div', {class: 'krnn-export-facts'}, facts.map(([name, value]) =>
      el('span', {class: 'krnn-export-fact', 'data-fact': name.toLowerCase()}, `${name} ${value}`))) : null,
    caption.details ? el('div', {class: 'krnn-export-details'}, String(caption.details)) : null,
    el('div', {class: 'krnn-export-note'}),
    el('div', {class: 'krnn-export-source'}, `karpathy_rnn TensorBoard plugin, exported ${new Date().toISOString()}`));
}

// A copy of the view without its interactive chrome, with the caption under it, in a <figure class=krnn-export>.
function exportFigure(view, viewSpec, caption) {
  return el('figure', {class: 'krnn-export', 'data-view': viewSpec.id}, staticCopy(view.element),
            captionElement(caption));
}

// A deep copy of `element` as a static page shows it: controls removed, menus and fields as their value, buttons as
// spans (a bar chart's bars stay), no handler, nothing that loads.
function staticCopy(element) {
  const copy = element.cloneNode(true);           // listeners (addEventListener) are not copied
  const originals = [...element.querySelectorAll('select, input')];
  [...copy.querySelectorAll('select, input')].forEach((field, k) => {
    field.replaceWith(el('span', {class: 'krnn-export-value'}, shownValue(originals[k])));
  });
  for (const node of copy.querySelectorAll(CHROME)) node.remove();
  for (const node of copy.querySelectorAll('.krnn-readout')) {    // "Hover a …" means nothing on paper
    if (/^\s*Hover\b/.test(node.textContent)) node.remove();
  }
  for (const canvas of copy.querySelectorAll('canvas')) canvas.remove();    // a copy's canvas is blank
  for (const button of copy.querySelectorAll('button')) button.replaceWith(asSpan(button));
  for (const node of [copy, ...copy.querySelectorAll('*')]) cleanAttributes(node);
  return copy;
}

// What a menu or field shows: the chosen option's text, a box's tick, or the value.
function shownValue(field) {
  if (!field) return '';
  if (field instanceof HTMLSelectElement) return field.selectedOptions[0]?.textContent ?? '';
  if (field.type === 'checkbox' || field.type === 'radio') return field.checked ? '\u2611' : '\u2610';
  return field.value;
}

// A <span> with the button's class, data-* and aria-pressed (the styles that draw it) and its children.
function asSpan(button) {
  const span = document.createElement('span');
  for (const {name, value} of [...button.attributes]) {
    if (name === 'class' || name === 'style' || name === 'title' || name === 'aria-pressed' || name.startsWith('data-')) {
      span.setAttribute(name, value);
    }
  }
  span.classList.add('krnn-export-button');
  span.append(...button.childNodes);
  return span;
}

// Removes handler attributes (on*), focus order, and every attribute that could load a resource; makes inline
// styles load nothing.
function cleanAttributes(node) {
  for (const {name, value} of [...node.attributes]) {
    const lower = name.toLowerCase();
    if (lower.startsWith('on') || lower === 'tabindex' || lower === 'contenteditable' || lower === 'disabled') {
      node.removeAttribute(name);
    } else if (LOADING_ATTRIBUTES.includes(lower) && !/^\s*(#|data:image\/)/i.test(value)) {
      node.removeAttribute(name);
    } else if (lower === 'style') {
      node.setAttribute(name, inertCss(value));
    }
  }
}

// CSS that loads nothing: comments, @import rules and url()s other than data: ones removed; no `</` (it could
// close the <style> element).
export function inertCss(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/@import[^;]*;?/gi, '')
    .replace(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/gi,
             (whole, double, single, bare) => (/^\s*data:/i.test(double ?? single ?? bare ?? '') ? whole : 'none'))
    .replace(/<\//g, '<\\/');
}

let sheetsText = null;                      // the page's stylesheets, fetched once (they do not change)

// The text of every <link rel=stylesheet> of the page, in order, made inert, and EXPORT_CSS.
async function pluginCss() {
  if (!sheetsText) {
    sheetsText = Promise.all([...document.querySelectorAll('link[rel~="stylesheet"]')].map(async (link) => {
      const response = await fetch(link.href);
      if (!response.ok) throw new Error(`could not read the stylesheet ${link.getAttribute('href')}: ${response.status}`);
      return inertCss(await response.text());
    })).catch((error) => {
      sheetsText = null;                    // try again next time
      throw error;
    });
  }
  return `${(await sheetsText).join('\n')}\n${EXPORT_CSS}\n`;
}

// One standalone HTML document: <!doctype html>, charset, title, the CSS, the figure; serialized by the DOM, so
// every text and attribute is escaped.
function standaloneHtml(css, figure, caption) {
  const page = document.implementation.createHTMLDocument(documentTitle(caption));
  page.documentElement.setAttribute('lang', 'en');
  const charset = page.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  page.head.prepend(charset);
  const style = page.createElement('style');
  style.textContent = css;
  page.head.append(style);
  page.body.className = 'krnn-export-page';
  page.body.append(page.importNode(figure, true));
  return `<!doctype html>\n${page.documentElement.outerHTML}\n`;
}

function documentTitle(caption) {
  return [caption.title, caption.run, caption.step === null ? null : `step ${caption.step}`]
    .filter((part) => part !== null && part !== undefined && part !== '').join(' \u00b7 ');
}

// --- the two formats --------------------------------------------------------------------------------------------

// {filename, text, caption}: the view as one standalone HTML file.
export async function exportHtml(view, viewSpec, app) {
  const caption = captionOf(view, viewSpec, app);
  const text = standaloneHtml(await pluginCss(), exportFigure(view, viewSpec, caption), caption);
  return {filename: exportFilename(viewSpec.id, caption, 'html'), text, caption};
}

// {filename, blob, width, height, scale, note, caption}: the view as a PNG, `scale` device pixels per CSS pixel (lowered,
// and said in the caption, when the canvas would pass Chromium's limits).
export async function exportPng(view, viewSpec, app, scale = PNG_SCALE) {
  const caption = captionOf(view, viewSpec, app);
  const css = await pluginCss();
  const figure = exportFigure(view, viewSpec, caption);
  const width = Math.ceil(view.element.getBoundingClientRect().width || 1000) + 2 * FIGURE_PADDING;
  figure.style.width = `${width}px`;
  let height = measuredHeight(figure);
  let used = fittingScale(scale, width, height);
  const note = figure.querySelector('.krnn-export-note');
  if (used < scale) {                       // say so under the figure, then measure again (the note takes a line)
    const say = (s) => {
      note.textContent = `Drawn at ${s.toFixed(2)}x instead of ${scale}x: a larger canvas would pass the browser's `
        + `limit (${MAX_CANVAS_SIDE} px a side, ${formatCount(MAX_CANVAS_AREA)} pixels).`;
    };
    say(used);
    height = measuredHeight(figure);
    used = fittingScale(scale, width, height);
    say(used);
    console.warn(`karpathy_rnn export: ${note.textContent}`);
  }
  const image = await svgImage(css, figure, width, height);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.floor(width * used));
  canvas.height = Math.max(1, Math.floor(height * used));
  const context = canvas.getContext('2d');
  if (!context) throw new Error(`the browser could not make a ${canvas.width}x${canvas.height} canvas`);
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b)
    : reject(new Error(`the browser could not encode a ${canvas.width}x${canvas.height} PNG`))), 'image/png'));
  return {filename: exportFilename(viewSpec.id, caption, 'png'), blob, width: canvas.width, height: canvas.height,
          scale: used, note: note.textContent, caption};
}

// The largest scale up to `scale` whose canvas fits Chromium's limits.
function fittingScale(scale, width, height) {
  const fits = Math.min(scale, MAX_CANVAS_SIDE / width, MAX_CANVAS_SIDE / height,
                        Math.sqrt(MAX_CANVAS_AREA / (width * height)));
  return fits >= scale ? scale : Math.floor(fits * 100) / 100;
}

// The CSS height of `figure` laid out off screen in this page (its stylesheets are the export's).
function measuredHeight(figure) {
  const stage = el('div', {class: 'krnn-export-stage', 'aria-hidden': 'true'});
  document.body.append(stage);
  stage.append(figure);
  const height = figure.getBoundingClientRect().height;
  stage.remove();
  return Math.ceil(height) + 2;
}

// The figure and the CSS as XHTML in an SVG <foreignObject>, loaded as an image from a data: URL.
async function svgImage(css, figure, width, height) {
  const page = el('div', {class: 'krnn-export-page'}, el('style', {}, css), figure);
  const xhtml = new XMLSerializer().serializeToString(page);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<foreignObject x="0" y="0" width="${width}" height="${height}">${xhtml}</foreignObject></svg>`;
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xmlSafe(svg))}`;
  try {
    await image.decode();
  } catch (error) {
    throw new Error(`the browser could not draw the view as an image (SVG foreignObject): ${error.message}`);
  }
  return image;
}

const NOT_XML = new RegExp('[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]'
  + '|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]', 'g');

// Text XML accepts: control characters XML 1.0 forbids and lone surrogates (data may hold them) become U+FFFD.
function xmlSafe(text) {
  return text.replace(NOT_XML, '\uFFFD');
}

// --- downloads and scripts --------------------------------------------------------------------------------------

// Saves `blob` as `filename` through the browser's download (a Blob URL and <a download>).
export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const link = el('a', {href: url, download: filename, hidden: 'hidden'});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// window.krnnExport(viewId, params, format) -> {filename, data}: shows view `viewId` with `params` (run: only that
// run ticked; step, layer, name, cell, offset, index: the view's own), waits until it has drawn and exports it;
// data is the HTML text or the PNG as a base64 data: URL. Rejects with the page's message when it cannot.
export function installScriptExport(app) {
  window.krnnExport = (viewId, params = {}, format = 'html') => scriptExport(app, viewId, params || {}, format);
}

async function scriptExport(app, viewId, params, format) {
  if (format !== 'html' && format !== 'png') throw new Error(`format ${JSON.stringify(format)}: use "html" or "png"`);
  await app.loaded;
  if (app.loadError) throw new Error(app.loadError);
  const spec = app.viewSpec(viewId);
  if (Object.hasOwn(params, 'run') && params.run !== null) app.tickOnly(String(params.run));
  if (!app.availableViews().some((v) => v.id === viewId)) {
    throw new Error(`no ticked run has data for the ${spec.title} view (${viewId})`);
  }
  await (Object.keys(params).length ? app.show(viewId, params) : app.show(viewId));
  const view = await app.view(viewId);
  if (!app.main.contains(view.element)) throw new Error(app.main.textContent.trim() || `the ${viewId} view did not draw`);
  await drawn(view.element);
  const failure = view.element.querySelector('.krnn-message.krnn-error, .krnn-status > .krnn-message.krnn-info');
  if (failure) throw new Error(`the ${spec.title} view shows: ${failure.textContent.trim()}`);
  if (format === 'html') {
    const {filename, text} = await exportHtml(view, spec, app);
    return {filename, data: text};
  }
  const {filename, blob} = await exportPng(view, spec, app);
  return {filename, data: await dataUrl(blob)};
}

// Resolves once `element` has not changed for QUIET_MS and shows no "Loading…" (at most LONGEST_WAIT_MS).
function drawn(element) {
  const started = performance.now();
  const loading = () => [...element.querySelectorAll('.krnn-hint, p')].some((n) => n.textContent.trim() === 'Loading…');
  return new Promise((resolve) => {
    let timer = null;
    const observer = new MutationObserver(() => arm());
    const done = () => {
      observer.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => resolve());
    };
    const check = () => (loading() && performance.now() - started < LONGEST_WAIT_MS ? arm() : done());
    function arm() {
      clearTimeout(timer);
      if (performance.now() - started > LONGEST_WAIT_MS) done(); else timer = setTimeout(check, QUIET_MS);
    }
    observer.observe(element, {subtree: true, childList: true, attributes: true, characterData: true});
    arm();
  });
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`could not read the PNG: ${reader.error}`));
    reader.readAsDataURL(blob);
  });
}
