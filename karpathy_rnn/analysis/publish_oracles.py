"""Section 4.4's error breakdown (analysis/oracles.py) written out: CSV and JSON numbers, Figure 6 as PNG pies and
an HTML page of examples, a report section in Markdown and the plugin's oracle summary with its examples."""

from __future__ import annotations

import html
import os

from karpathy_rnn.analysis.oracles import MEMORY_MATCH_READINGS, Breakdown
from karpathy_rnn.analysis.publish import fresh_events_writer, write_csv, write_json
from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.render import html_page

SUMMARY_EVENTS_SUFFIX = ".karpathy_rnn_oracles"
EXAMPLE_STYLE = """pre.krnn-example{font-family:'DejaVu Sans Mono',Menlo,monospace;font-size:13px;white-space:pre-wrap;
word-break:break-all;border:1px solid #ddd;padding:6px;max-width:100ch}
.krnn-error{background:#9ecae1}.krnn-repeat{outline:2px solid #d62728}.krnn-gap{color:#888}"""
NEWLINE_SHOWN = {"\n": "\u21b5\n", "\r": ""}


def breakdown_rows(result: Breakdown) -> list[dict]:
    """[{"name", "group", "errors", "share", "cumulative"}] per slice: errors removed, as a fraction of all the
    model's errors and cumulated in order."""
    rows, cumulative = [], 0
    for piece in result.slices:
        cumulative += piece.errors
        rows.append({"name": piece.name, "group": piece.group, "errors": piece.errors,
                     "share": piece.errors / max(result.total, 1), "cumulative": cumulative / max(result.total, 1)})
    return rows


def write_numbers(out: str, results: dict[str, Breakdown], examples: dict[str, dict[str, list[dict]]],
                  extra: list[dict] | None) -> list[str]:
    """oracles.json (per model: errors, characters, the memory oracle's reading (oracles.MEMORY_MATCHES; None for
    masks made elsewhere), slices, examples; the extra-errors table), oracles.csv (one row per model and slice)
    and, with two models, extra_errors.csv; returns the paths."""
    body = {"models": {name: {"errors": result.total, "characters": int(len(result.errors)),
                              "memory_match": result.memory_match,
                              "slices": breakdown_rows(result), "examples": examples[name]}
                       for name, result in results.items()}, "extra_errors": extra}
    paths = [write_json(body, os.path.join(out, "oracles.json")),
             write_csv(os.path.join(out, "oracles.csv"), ["model", "oracle", "group", "errors removed", "% of errors",
                                                     "cumulative %"],
                  [[name, r["name"], r["group"], r["errors"], f"{100 * r['share']:.2f}", f"{100 * r['cumulative']:.2f}"]
                   for name, result in results.items() for r in breakdown_rows(result)])]
    if extra is not None:
        total = sum(r["extra"] for r in extra)
        paths.append(write_csv(os.path.join(out, "extra_errors.csv"), ["oracle", "group", "large model", "small model",
                                                                  "extra", "% of the extra"],
                          [[r["name"], r["group"], r["large"], r["small"], r["extra"],
                            f"{100 * r['extra'] / total:.2f}" if total else ""] for r in extra]))
    return paths


def _fragment_html(fragment: dict) -> str:
    """One example fragment as escaped HTML: errors highlighted, repeated substrings outlined."""
    text, errors = fragment["text"], set(fragment["errors"])
    starts = {a: b for a, b in fragment["repeat"]}
    pieces, closing = [], None
    for offset, character in enumerate(text):
        if closing is None and offset in starts:
            pieces.append('<span class="krnn-repeat">')
            closing = starts[offset]
        shown = html.escape(NEWLINE_SHOWN.get(character, character))
        pieces.append(f'<span class="krnn-error">{shown}</span>' if offset in errors else shown)
        if closing is not None and offset + 1 == closing:
            pieces.append("</span>")
            closing = None
    if closing is not None:
        pieces.append("</span>")
    return "".join(pieces)


def examples_html(title: str, results: dict[str, Breakdown], examples: dict[str, dict[str, list[dict]]]) -> str:
    """Figure 6 (right) as a standalone page: per model and oracle, its example texts (every character escaped)."""
    body = [f"<style>{EXAMPLE_STYLE}</style>",
            "<p>Highlighted: the errors this oracle removed; outlined: the repeated substring (memory oracles).</p>"]
    for model, result in results.items():
        body.append(f"<h2>{html.escape(model)}</h2>")
        for piece in result.slices:
            shown = examples[model].get(piece.name, [])
            if not shown:
                continue
            body.append(f"<h3>{html.escape(piece.name)} ({piece.errors:,} errors)</h3>")
            body += ['<pre class="krnn-example">' + '<span class="krnn-gap"> \u2026 </span>'.join(
                _fragment_html(f) for f in example["fragments"]) + "</pre>" for example in shown]
    return html_page(title, "\n".join(body))


def write_figures(out: str, results: dict[str, Breakdown], examples: dict[str, dict[str, list[dict]]],
                  title: str) -> list[str]:
    """figure6_oracles.png (a pie per model, side by side) and figure6_examples.html; returns the paths."""
    from karpathy_rnn.plots import oracle_pie_figure, save_figure

    pies = {name: [(s.name, s.group, s.errors) for s in result.slices] for name, result in results.items()}
    path = os.path.join(out, "figure6_examples.html")
    with atomic_file(path, "w", encoding="utf-8") as handle:
        handle.write(examples_html(f"Error examples by oracle: {title}", results, examples))
    return [save_figure(oracle_pie_figure(pies, title), os.path.join(out, "figure6_oracles.png")), path]


def memory_reading(result: Breakdown) -> str:
    """One sentence saying how the memory oracle of `result` was read (`analyze.py oracles --memory-match`)."""
    if result.memory_match is None:
        return "The n-memory oracles' masks were not made by oracles.breakdown (no --memory-match reading)."
    return (f"The n-memory oracles are read as `--memory-match {result.memory_match}`: errors in a word from its "
            f"second character on go when {MEMORY_MATCH_READINGS[result.memory_match]}, within n characters.")


def report_section(results: dict[str, Breakdown], extra: list[dict] | None, figures: list[str]) -> str:
    """The Markdown of report.md for section 4.4: a breakdown table per model and the small model's extra errors."""
    lines = ["## Error breakdown by oracle (section 4.4)", ""]
    for name, result in results.items():
        characters = len(result.errors)
        lines += [f"{name}: {result.total:,} errors (p < 0.5) in {characters:,} characters "
                  f"({result.total / max(characters, 1):.1%}).", "", memory_reading(result), "",
                  "| oracle | group | errors removed | % of errors | cumulative |", "|---|---|---:|---:|---:|"]
        lines += [f"| {r['name']} | {r['group']} | {r['errors']:,} | {100 * r['share']:.1f}% | "
                  f"{100 * r['cumulative']:.1f}% |" for r in breakdown_rows(result)]
        lines.append("")
    if extra is not None:
        large, small = list(results)
        total = sum(r["extra"] for r in extra)
        lines += [f"The extra errors of {small} over {large} ({total:+,}) by oracle:", "",
                  f"| oracle | {large} | {small} | extra | % of the extra |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {r['name']} | {r['large']:,} | {r['small']:,} | {r['extra']:+,} | "
                  f"{100 * r['extra'] / total:.1f}% |" if total else
                  f"| {r['name']} | {r['large']:,} | {r['small']:,} | {r['extra']:+,} | - |" for r in extra]
        lines.append("")
    lines.append("Figures: " + ", ".join(f"[{os.path.basename(f)}]({os.path.basename(f)})" for f in figures))
    return "\n".join(lines) + "\n"


def write_summary(logdir: str, step: int, model: str, result: Breakdown, examples: dict[str, list[dict]],
                  split: str) -> str:
    """The plugin's oracle summary (pie, table and each slice's examples) of one model into its own events file
    in `logdir` (an earlier one there is replaced)."""
    from karpathy_rnn import summary

    slices = [{"name": s.name, "group": s.group, "errors": s.errors, "examples": examples.get(s.name, [])}
              for s in result.slices]
    writer = fresh_events_writer(logdir, SUMMARY_EVENTS_SUFFIX)
    with writer.as_default():
        summary.write_oracle(slices, len(result.errors), step, split=split, model=model)
    writer.flush()
    writer.close()
    return logdir
