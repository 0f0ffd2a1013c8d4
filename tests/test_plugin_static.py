"""The plugin's JavaScript, read as text: no file under tb_plugin/static hands a string to the HTML parser.

Every name the page shows (runs, layers, gates, features, slices) and the user's text come from the logdir, so the
views build DOM nodes and set textContent (common.js's el()); test_plugin_browser.py shows hostile names as text in
a real browser, and this test finds the sinks that the browser would only show for some inputs (a single
character set with innerHTML reads the same as with textContent)."""

import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = os.path.join(REPO, "tb_plugin", "static")

# Ways a string becomes markup: assigning (or appending to) innerHTML/outerHTML, in code or through a computed
# property or an object handed to Object.assign; insertAdjacentHTML; document.write(ln); jQuery-like .html(...);
# Range.createContextualFragment; DOMParser.parseFromString; srcdoc.
HTML_SINKS = re.compile(
    r"""\b(?:inner|outer)HTML\b\s*(?:\+?=(?!=)|:)"""
    r"""|\[\s*['"`](?:inner|outer)HTML['"`]\s*\]\s*\+?=(?!=)"""
    r"""|\binsertAdjacentHTML\s*\("""
    r"""|\bdocument\s*\.\s*write(?:ln)?\s*\("""
    r"""|\.\s*html\s*\("""
    r"""|\bcreateContextualFragment\s*\("""
    r"""|\bparseFromString\s*\("""
    r"""|\bsrcdoc\b""")


def _code(source: str) -> str:
    """`source` without its // and /* */ comments (a comment may name what the code never does)."""
    source = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), source, flags=re.S)
    return re.sub(r"(^|[^:\\])//[^\n]*", r"\1", source)


def _sinks(source: str) -> list[tuple[int, str]]:
    code = _code(source)
    return [(code.count("\n", 0, m.start()) + 1, m.group()) for m in HTML_SINKS.finditer(code)]


def test_the_html_sink_pattern_finds_each_way_of_writing_markup():
    bad = ["span.innerHTML = character;", "readout.innerHTML += `<b>${x}</b>`;", "node.outerHTML='x'",
           "el['innerHTML'] = s;", "Object.assign(span, {innerHTML: text});",
           "box.insertAdjacentHTML('beforeend', s)", "document.write(s)", "document.writeln(s)",
           "$(node).html(s)", "range.createContextualFragment(s)", "new DOMParser().parseFromString(s, 'text/html')",
           "frame.srcdoc = s"]
    good = ["span.textContent = character;", "if (node.innerHTML === '') x();", "node.append(text)",
            "// never innerHTML = here", "/* no insertAdjacentHTML( either */", "const url = 'http://x/html(';"]
    assert [line for line in bad if not _sinks(line)] == []
    assert [line for line in good if _sinks(line)] == []


def test_no_static_javascript_assigns_html():
    files = sorted(glob.glob(os.path.join(STATIC, "**", "*.js"), recursive=True))
    names = {os.path.relpath(f, STATIC) for f in files}
    assert {"index.js", "common.js", os.path.join("views", "colored_text.js"), os.path.join("views", "oracle.js"),
            os.path.join("views", "saturation.js"), os.path.join("views", "brace.js"),
            os.path.join("views", "characters.js"), os.path.join("views", "agreement.js")} <= names
    found = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            found += [f"{os.path.relpath(path, REPO)}:{line}: {text}" for line, text in _sinks(handle.read())]
    assert found == [], "build DOM nodes and set textContent (common.js's el()), never HTML:\n" + "\n".join(found)
