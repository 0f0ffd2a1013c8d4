"""Section 4.3's studies (analysis/longrange.py) written out: CSV and JSON numbers, Figures 4 and 5 as PNG, a
report section in Markdown and the plugin's brace and per-character summaries."""

from __future__ import annotations

import os

import numpy as np

from karpathy_rnn.analysis.publish import fresh_events_writer, write_csv, write_json

SUMMARY_EVENTS_SUFFIX = ".karpathy_rnn_longrange"


def write_numbers(out: str, overlap: dict, characters: dict, brace: dict | None, models: dict,
                  chosen: dict | None = None) -> list[str]:
    """longrange.json (everything; "best": {"n-gram"/"n-NN": the best baseline's name, its validation loss and
    every candidate's, as chosen}) and overlap.csv, characters.csv, brace.csv under `out`; returns the paths."""
    a, b = characters["models"]
    paths = [write_json({"models": models, "best": chosen or {}, "overlap": overlap, "characters": characters,
                         "brace": brace}, os.path.join(out, "longrange.json")),
             write_csv(os.path.join(out, "overlap.csv"), ["models erring (and no other)", "characters"],
                  [[" & ".join(r["models"]) or "none", r["count"]] for r in overlap["regions"]]),
             write_csv(os.path.join(out, "characters.csv"), ["character", "code point", "count", f"mean p ({a})",
                                                        f"mean p ({b})", "difference"],
                  [[r["label"], ord(r["character"]), r["count"], f"{r['means'][0]:.6f}", f"{r['means'][1]:.6f}",
                    f"{r['means'][0] - r['means'][1]:+.6f}"] for r in characters["characters"]])]
    if brace is not None:
        paths.append(write_csv(os.path.join(out, "brace.csv"), ["distance from", "to", "braces",
                                                           *[f"mean p(}}) ({m})" for m in brace["models"]]],
                          [[r["start"], r["end"], r["count"], *["" if m is None else f"{m:.6f}" for m in r["means"]]]
                           for r in brace["buckets"]]))
    return paths


def write_figures(out: str, overlap: dict, characters: dict, brace: dict | None, title: str) -> list[str]:
    """figure4_overlap.png (three models), figure4_characters.png and figure5_brace.png (code only)."""
    from karpathy_rnn.plots import advantage_figure, brace_figure, error_overlap_figure, save_figure

    regions = {tuple(r["models"]): r["count"] for r in overlap["regions"]}
    paths = []
    if sum(len(key) == 1 for key in regions) == 3:
        paths.append(save_figure(error_overlap_figure(regions, f"{title}: test errors (p < 0.5)"),
                                 os.path.join(out, "figure4_overlap.png")))
    leaders = characters["leaders"]
    paths.append(save_figure(advantage_figure([[r["label"] for r in side] for side in leaders],
                                              [np.array([r["means"] for r in side]).reshape(-1, 2) for side in leaders],
                                              tuple(characters["models"]), title),
                             os.path.join(out, "figure4_characters.png")))
    if brace is not None:
        buckets = brace["buckets"]
        means = {name: np.array([np.nan if r["means"][i] is None else r["means"][i] for r in buckets])
                 for i, name in enumerate(brace["models"])}
        paths.append(save_figure(brace_figure(np.array([r["start"] for r in buckets]), means,
                                              np.array([r["count"] for r in buckets]), brace["bucket_width"], title),
                                 os.path.join(out, "figure5_brace.png")))
    return paths


def report_section(overlap: dict, characters: dict, brace: dict | None, models: dict, figures: list[str],
                   chosen: dict | None = None) -> str:
    """The Markdown section of report.md for section 4.3."""
    a, b = characters["models"]
    lines = ["## Long-range interactions (section 4.3)", "",
             "| model | test loss (nats/char) | errors (p < 0.5) |", "|---|---:|---:|"]
    for name, loss in models.items():
        errors = overlap["errors"].get(name)
        shown = f"{errors:,} ({overlap['error_rate'][name]:.1%})" if errors is not None else "-"
        lines.append(f"| {name} | {loss:.4f} | {shown} |")
    for label, best in (chosen or {}).items():
        lines += ["", f"Best {label}: {best['name']}, the lowest validation loss ({best['val_loss']:.4f}; "
                  + ", ".join(f"{name} {loss:.4f}" for name, loss in best["val_losses"].items()) + ")."]
    if chosen is not None and "n-NN" not in chosen:
        lines += ["", "No n-NN baselines were given (--nn): the n-NN parts are left out."]
    lines += ["", "Error overlap (Figure 4, left): characters on which exactly these models err:", "",
              "| models | characters |", "|---|---:|"]
    lines += [f"| {' & '.join(r['models']) or 'none'} | {r['count']:,} |" for r in overlap["regions"]]
    for side, leader in zip(characters["leaders"], (a, b)):
        lines += ["", f"Where {leader} leads most (Figure 4; mean probability of the correct character, "
                  f"{a} / {b}, occurrences):", ""]
        lines += [f"- `{r['label']}`: {r['means'][0]:.3f} / {r['means'][1]:.3f} ({r['count']:,})" for r in side]
    if brace is not None:
        lines += ["", f"Closing braces (Figure 5, left): {brace['braces']:,} `}}` matched within "
                  f"{brace['longest']} characters of their `{{` ({brace['farther']:,} farther, not shown); mean "
                  "probability of `}` by distance to its `{`:", "", "| distance | braces | " + " | ".join(brace["models"]) + " |",
                  "|---|---:|" + "---:|" * len(brace["models"])]
        lines += [f"| {r['start']}-{r['end']} | {r['count']:,} | " +
                  " | ".join("-" if m is None else f"{m:.3f}" for m in r["means"]) + " |" for r in brace["buckets"]]
    lines += ["", "Figures: " + ", ".join(f"[{os.path.basename(f)}]({os.path.basename(f)})" for f in figures)]
    return "\n".join(lines) + "\n"


def write_summaries(logdir: str, step: int, text: str, difference: np.ndarray, characters: dict,
                    brace: dict | None) -> str:
    """The plugin's per-character comparison (text coloured by `difference` [len(text)]) and brace summaries
    into their own events file in `logdir` (an earlier one there is replaced)."""
    from karpathy_rnn import summary

    writer = fresh_events_writer(logdir, SUMMARY_EVENTS_SUFFIX)
    with writer.as_default():
        summary.write_character_comparison({"models": characters["models"], "text": text, "start": 0,
                                            "difference": [round(float(d), 4) for d in difference],
                                            "leaders": characters["leaders"]}, step)
        if brace is not None:
            summary.write_brace_study(brace, step)
    writer.flush()
    writer.close()
    return logdir
