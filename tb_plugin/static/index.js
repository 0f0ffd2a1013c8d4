// The karpathy_rnn plugin's entry point: TensorBoard imports this module in the plugin's iframe and calls render().
// The shell (run selector, view tabs, messages) lives here; each view is one module under views/, listed in VIEWS,
// exporting createView(app) -> {element, refresh(), open(params)}. A new view is one new module and one line here;
// a view with `needs` (a key of the runs route's entries) has a tab only when some run has that data.
import {api, el, message, replace, RUN_COLORS} from './static/common.js';

const VIEWS = [
  {id: 'text', title: 'Colored text', module: './static/views/colored_text.js'},
  {id: 'saturation', title: 'Saturation', module: './static/views/saturation.js'},
  {id: 'training', title: 'Over training', module: './static/views/training.js', needs: 'training'},
  {id: 'oracle', title: 'Error oracles', module: './static/views/oracle.js'},
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
  const app = new App();
  document.body.append(app.element);
  await app.load();
}

class App {
  constructor() {
    this.index = {runs: [], problems: []};
    this.checked = new Set();
    this.filter = '';
    this.views = new Map();
    this.runList = el('div', {class: 'krnn-run-list'});
    this.problems = el('div', {class: 'krnn-problems'});
    this.tabs = el('nav', {class: 'krnn-tabs', role: 'tablist'});
    this.main = el('main', {class: 'krnn-main'});
    const filter = el('input', {type: 'search', placeholder: 'Filter runs (regex)', class: 'krnn-filter',
                                input: () => { this.filter = filter.value; this.drawRuns(); this.refresh(); }});
    const reload = el('button', {class: 'krnn-reload', type: 'button', title: 'Read the logdir again',
                                 click: () => this.load()}, 'Reload');
    this.element = el('div', {class: 'krnn-app'},
      el('aside', {class: 'krnn-sidebar'}, el('h2', {}, 'Runs'), filter, this.runList, reload),
      el('section', {class: 'krnn-content'}, this.tabs, this.problems, this.main));
  }

  // Reads the runs route, redraws the run selector, then the current view.
  async load() {
    try {
      this.index = await api('runs');
    } catch (error) {
      replace(this.main, message('error', `Could not list the runs: ${error.message}`));
      return;
    }
    const names = this.index.runs.map((r) => r.run);
    if (this.checked.size === 0 || ![...this.checked].some((r) => names.includes(r))) this.checked = new Set(names);
    const problems = this.index.problems;
    replace(this.problems, problems.length ? el('details', {class: 'krnn-message krnn-warning', role: 'status'},
      el('summary', {}, `${problems.length} unreadable karpathy_rnn summar${problems.length > 1 ? 'ies' : 'y'} skipped`),
      el('ul', {}, problems.map((p) => el('li', {}, p)))) : null);
    this.drawRuns();
    if (!this.current || !this.availableViews().some((v) => v.id === this.current)) await this.show(VIEWS[0].id);
    else await this.refresh();
  }

  // The views with a tab: those that need no particular data, and those whose data some run has.
  availableViews() {
    return VIEWS.filter((v) => !v.needs || this.index.runs.some((r) => r[v.needs]));
  }

  // The runs passing the filter, ticked in the selector, in the logdir's order, with their colours.
  selectedRuns() {
    return this.visibleRuns().filter((r) => this.checked.has(r.run));
  }

  visibleRuns() {
    let pattern = null;
    try {
      pattern = this.filter ? new RegExp(this.filter) : null;
    } catch (error) {
      pattern = null;
    }
    return this.index.runs.filter((r) => !pattern || pattern.test(r.run));
  }

  runColor(run) {
    const position = this.index.runs.findIndex((r) => r.run === run);
    return RUN_COLORS[Math.max(position, 0) % RUN_COLORS.length];
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

  async view(id) {
    if (!this.views.has(id)) {
      const spec = VIEWS.find((v) => v.id === id);
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
}
