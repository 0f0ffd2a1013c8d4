// The karpathy_rnn plugin's entry point: TensorBoard imports this module in the plugin's iframe and calls render().
// The shell (run selector, view tabs, messages) lives here; each view is one module under views/, listed in VIEWS,
// exporting createView(app) -> {element, refresh(), open(params), caption()}. A new view is one new module and one
// line here; a view with `needs` (a key of the runs route's entries) has a tab only when some run has that data.
// The tab bar's Export control saves the current view as HTML or PNG (export.js); scripts call window.krnnExport.
import {api, el, message, replace, RUN_COLORS} from './static/common.js';
import {download, exportHtml, exportPng, installScriptExport} from './static/export.js';
import {readLink, writeLink} from './static/link.js';

const LINK_QUIET_MS = 150;               // the link is written once a view's drawing has been still this long

const VIEWS = [
  {id: 'text', title: 'Colored text', module: './static/views/colored_text.js'},
  {id: 'saturation', title: 'Saturation', module: './static/views/saturation.js'},
  {id: 'training', title: 'Over training', module: './static/views/training.js', needs: 'training'},
  {id: 'oracle', title: 'Error oracles', module: './static/views/oracle.js', needs: 'oracle'},
  {id: 'characters', title: 'Characters', module: './static/views/characters.js', needs: 'characters'},
  {id: 'brace', title: 'Closing braces', module: './static/views/brace.js', needs: 'brace'},
  {id: 'agreement', title: 'Agreement', module: './static/views/agreement.js', needs: 'agreement'},
  {id: 'connectivity', title: 'Connectivity', module: './static/views/connectivity.js', needs: 'connectivity'},
];

// One stylesheet per part of the front end (the shell's, the export's, and views' with much of their own).
const STYLESHEETS = ['static/style.css', 'static/export.css', 'static/views/colored_text.css', 'static/views/training.css'];

export async function render() {
  for (const sheet of STYLESHEETS) document.head.append(el('link', {rel: 'stylesheet', href: sheet}));
  document.title = 'karpathy_rnn';
  followDarkMode();
  const app = new App();
  document.body.append(app.element);
  app.loaded = app.load();
  installScriptExport(app);
  await app.loaded;
}

// TensorBoard's Dark setting puts `dark-mode` on its page's body; the plugin's iframe (same origin) follows it as
// html.krnn-dark (style.css), now and whenever the setting changes.
function followDarkMode() {
  let hostBody = null;
  try {
    if (window.parent !== window) hostBody = window.parent.document.body;
  } catch (error) {                          // not inside TensorBoard's page: stay light
    hostBody = null;
  }
  const apply = () => document.documentElement.classList.toggle(
    'krnn-dark', Boolean(hostBody && hostBody.classList.contains('dark-mode')));
  apply();
  if (hostBody) new MutationObserver(apply).observe(hostBody, {attributes: true, attributeFilter: ['class']});
}

class App {
  constructor() {
    this.index = {runs: [], problems: []};
    this.loaded = null;                     // the first load's promise (window.krnnExport waits for it)
    this.loadError = null;                  // why the runs could not be listed, if they could not
    this.checked = new Set();
    this.seen = new Set();             // the runs listed at the last load: a run that appears later starts ticked
    this.filter = '';
    this.views = new Map();
    this.colors = new Map();               // run -> its colour's number, given once: adding runs moves no colour
    this.filterError = el('p', {class: 'krnn-hint krnn-filter-error', role: 'status', 'data-testid': 'filter-error'});
    this.link = readLink();                // what the URL asked for when the page opened; used by the first load
    this.linkTimer = null;
    this.runList = el('div', {class: 'krnn-run-list'});
    this.problems = el('div', {class: 'krnn-problems'});
    this.tabs = el('nav', {class: 'krnn-tabs', role: 'tablist'});
    this.main = el('main', {class: 'krnn-main'});
    const filter = el('input', {type: 'search', placeholder: 'Filter runs (regex)', class: 'krnn-filter',
                                input: () => { this.filter = filter.value; this.drawRuns(); this.refresh(); }});
    this.filterInput = filter;
    const exportButton = (format, label) => el('button', {type: 'button', class: 'krnn-export-button',
      'data-action': `export-${format}`, title: `Save the view as it is now as one ${format.toUpperCase()} file`,
      click: () => this.exportCurrent(format)}, label);
    this.exportControl = el('div', {class: 'krnn-export-control', role: 'group', 'aria-label': 'Export the view'},
      exportButton('html', 'Export HTML'), exportButton('png', 'Export PNG'));
    const reload = el('button', {class: 'krnn-reload', type: 'button', title: 'Read the logdir again',
                                 click: () => this.load()}, 'Reload');
    this.element = el('div', {class: 'krnn-app'},
      el('aside', {class: 'krnn-sidebar'}, el('h2', {}, 'Runs'), filter, this.filterError, this.runList, reload),
      el('section', {class: 'krnn-content'}, el('div', {class: 'krnn-tab-bar'}, this.tabs, this.exportControl),
         this.problems, this.main));
    // whatever a view draws, the link follows once it is still (no view has to say when its state changed)
    new MutationObserver(() => this.rememberSoon()).observe(this.main, {childList: true, subtree: true,
                                                                         attributes: true, characterData: true});
  }

  rememberSoon() {
    clearTimeout(this.linkTimer);
    this.linkTimer = setTimeout(() => this.remember(), LINK_QUIET_MS);
  }

  // Writes the link: the view, the filter, the runs ticked (when not all), and the view's own state (linkState()).
  remember() {
    if (!this.current || this.link) return;          // the link asked for is not opened yet: keep it
    const view = this.views.get(this.current);
    const names = this.index.runs.map((r) => r.run);
    const all = names.every((name) => this.checked.has(name));
    writeLink({view: this.current, filter: this.filter, runs: all ? '' : JSON.stringify(names.filter((n) => this.checked.has(n))),
               ...(view && typeof view.linkState === 'function' ? view.linkState() : {})});
  }

  // Applies the link the page opened with (once): the filter and runs ticked; returns [view id, its params] or null.
  takeLink() {
    const link = this.link;
    this.link = null;
    if (!link || !link.view) return null;
    const {view, filter, runs, ...params} = link;
    if (filter) { this.filter = filter; this.filterInput.value = filter; }
    try {
      const ticked = runs ? JSON.parse(runs) : null;
      if (Array.isArray(ticked)) this.checked = new Set(ticked.map(String));
    } catch (error) { /* a link cut short: every run stays ticked */ }
    return VIEWS.some((v) => v.id === view) ? [view, params] : null;
  }

  // Reads the runs route, redraws the run selector, then the current view.
  async load() {
    if (!this.current) replace(this.main, el('p', {class: 'krnn-hint', 'data-testid': 'loading'}, 'Loading the runs…'));
    try {
      this.index = await api('runs');
      this.loadError = null;
    } catch (error) {
      this.loadError = `Could not list the runs: ${error.message}`;
      replace(this.main, message('error', this.loadError));
      return;
    }
    const names = this.index.runs.map((r) => r.run);
    if (this.checked.size === 0 || ![...this.checked].some((r) => names.includes(r))) this.checked = new Set(names);
    else for (const name of names) if (!this.seen.has(name)) this.checked.add(name);   // a run new since the last load
    this.seen = new Set(names);
    for (const name of names) if (!this.colors.has(name)) this.colors.set(name, this.colors.size);   // kept for good
    const problems = this.index.problems;
    replace(this.problems, problems.length ? el('details', {class: 'krnn-message krnn-warning', role: 'status'},
      el('summary', {}, `${problems.length} unreadable karpathy_rnn summar${problems.length > 1 ? 'ies' : 'y'} skipped`),
      el('ul', {}, problems.map((p) => el('li', {}, p)))) : null);
    const linked = this.link ? this.takeLink() : null;
    this.drawRuns();
    if (linked && this.availableViews().some((v) => v.id === linked[0])) await this.show(linked[0], linked[1]);
    else if (!this.current || !this.availableViews().some((v) => v.id === this.current)) await this.show(VIEWS[0].id);
    else await this.refresh();
    this.rememberSoon();
  }

  // The views with a tab: those that need no particular data, and those whose data some run has.
  availableViews() {
    return VIEWS.filter((v) => !v.needs || this.index.runs.some((r) => r[v.needs]));
  }

  // The runs passing the filter, ticked in the selector, in the logdir's order, with their colours.
  selectedRuns() {
    return this.visibleRuns().filter((r) => this.checked.has(r.run));
  }

  // The runs the filter keeps: a regular expression, or (when it is not one) the runs containing its text, and
  // the filter says so instead of silently showing every run.
  visibleRuns() {
    let keep = () => true;
    let problem = '';
    if (this.filter) {
      try {
        const pattern = new RegExp(this.filter);
        keep = (name) => pattern.test(name);
      } catch (error) {
        problem = `Not a regular expression (${error.message}): showing the runs that contain this text.`;
        keep = (name) => name.includes(this.filter);
      }
    }
    this.filterError.textContent = problem;
    this.filterInput.setAttribute('aria-invalid', problem ? 'true' : 'false');
    return this.index.runs.filter((r) => keep(r.run));
  }

  runColor(run) {
    return RUN_COLORS[(this.colors.get(run) ?? 0) % RUN_COLORS.length];
  }

  drawRuns() {
    const runs = this.visibleRuns();
    replace(this.runList, runs.length ? runs.map((r) => {
      const box = el('input', {type: 'checkbox', change: () => {
        if (box.checked) this.checked.add(r.run); else this.checked.delete(r.run);
        this.refresh();
      }});
      box.checked = this.checked.has(r.run);
      box.style.accentColor = this.runColor(r.run);
      return el('label', {class: 'krnn-run', title: r.run}, box, el('span', {}, r.run));
    }) : el('p', {class: 'krnn-hint'}, this.index.runs.length ? 'No run matches the filter.' : 'No runs.'));
  }

  // Ticks `run` alone and clears the filter (window.krnnExport's `run`); an Error for a run the logdir lacks.
  tickOnly(run) {
    if (!this.index.runs.some((r) => r.run === run)) {
      const known = this.index.runs.map((r) => JSON.stringify(r.run)).join(', ') || 'none';
      throw new Error(`unknown run ${JSON.stringify(run)}; the runs with karpathy_rnn data are ${known}`);
    }
    this.checked = new Set([run]);
    this.filter = '';
    this.filterInput.value = '';
    this.drawRuns();
  }

  // VIEWS' entry for `id`; an Error naming the views for an unknown one.
  viewSpec(id) {
    const spec = VIEWS.find((v) => v.id === id);
    if (!spec) throw new Error(`unknown view ${JSON.stringify(id)}; the views are ${VIEWS.map((v) => v.id).join(', ')}`);
    return spec;
  }

  async view(id) {
    if (!this.views.has(id)) {
      const spec = this.viewSpec(id);
      const module = await import(spec.module);
      this.views.set(id, module.createView(this));
    }
    return this.views.get(id);
  }

  drawTabs() {
    replace(this.tabs, this.availableViews().map((v) => el('button', {
      type: 'button', role: 'tab', class: 'krnn-tab', 'data-view': v.id,
      'aria-selected': v.id === this.current ? 'true' : 'false', click: () => this.show(v.id)}, v.title)));
  }

  // Shows view `id`; with `params`, opens that thing in it (e.g. a unit in the colored text).
  async show(id, params = null) {
    this.current = id;
    this.drawTabs();
    if (this.index.runs.length === 0) {
      replace(this.main, message('info', 'No karpathy_rnn data in this logdir yet. Train a model with '
        + 'scripts/train.py, then run scripts/analyze.py RUN: its summaries appear here.'));
      return;
    }
    try {
      const view = await this.view(id);
      replace(this.main, view.element);
      if (params) await view.open(params); else await view.refresh();
    } catch (error) {                       // a bug in a view still leaves a message, not a blank page
      replace(this.main, message('error', `The ${id} view failed: ${error.message}`));
    }
  }

  async refresh() {
    if (!this.current) return;
    await this.show(this.current);
  }

  // Exports the current view as `format` ('html' or 'png') and downloads the file; a message above the view when
  // it fails (left out of later exports).
  async exportCurrent(format) {
    if (!this.current || this.exporting) return;
    this.exporting = true;
    const buttons = [...this.exportControl.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    this.exportControl.setAttribute('aria-busy', 'true');
    for (const old of this.main.querySelectorAll(':scope > .krnn-export-error')) old.remove();
    try {
      const spec = this.viewSpec(this.current);
      const view = await this.view(this.current);
      if (!this.main.contains(view.element)) throw new Error('the view is not drawn');
      if (format === 'png') {
        const {filename, blob} = await exportPng(view, spec, this);
        download(filename, blob);
      } else {
        const {filename, text} = await exportHtml(view, spec, this);
        download(filename, new Blob([text], {type: 'text/html;charset=utf-8'}));
      }
    } catch (error) {
      const notice = message('error', `Export failed: ${error.message}`);
      notice.classList.add('krnn-export-error');
      notice.setAttribute('data-export', 'skip');
      this.main.prepend(notice);
    } finally {
      this.exporting = false;
      for (const button of buttons) button.disabled = false;
      this.exportControl.removeAttribute('aria-busy');
    }
  }
}
