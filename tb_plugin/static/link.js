// Links: the plugin's state (the view, the runs ticked, and what the view shows: run, step, layer, cell, page ...) in
// the URL, as TensorBoard keeps a plugin's URL data: `p.karpathy_rnn.<key>=<value>` parts of the TensorBoard page's
// hash (what its plugin API's GetURLPluginData reads), so a reload or a link sent to a colleague opens the same
// picture. The plugin's iframe is on TensorBoard's origin, so it reads and replaces the host page's hash directly
// (replaceState: no navigation, no new history entry); opened on its own (plugin_entry.html) it uses its own hash.

const PREFIX = 'p.karpathy_rnn.';

// The window whose URL holds the link: TensorBoard's page around the iframe, or this one.
function host() {
  try {
    if (window.parent !== window && window.parent.location.origin === window.location.origin) return window.parent;
  } catch (error) {                 // another origin: not TensorBoard's page
    return window;
  }
  return window;
}

// {key: value} (strings) of the link in the URL now.
export function readLink() {
  const params = {};
  for (const part of host().location.hash.replace(/^#/, '').split('&')) {
    const cut = part.indexOf('=');
    const key = safeDecode(cut < 0 ? part : part.slice(0, cut));
    if (key.startsWith(PREFIX) && cut >= 0) params[key.slice(PREFIX.length)] = safeDecode(part.slice(cut + 1));
  }
  return params;
}

// Puts {key: value} in the URL as the plugin's part of the hash (values null, undefined or '' left out), keeping
// every other part (TensorBoard's own: the plugin's id, its settings) as it is.
export function writeLink(params) {
  const win = host();
  const kept = win.location.hash.replace(/^#/, '').split('&')
    .filter((part) => part && !safeDecode(part.split('=')[0]).startsWith(PREFIX));
  const ours = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(PREFIX + k)}=${encodeURIComponent(String(v))}`);
  const hash = `#${[...kept, ...ours].join('&')}`;
  if (hash !== win.location.hash) {
    win.history.replaceState(win.history.state, '', `${win.location.pathname}${win.location.search}${hash}`);
  }
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    return text;
  }
}
