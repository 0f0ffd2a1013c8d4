"""Screenshots of the karpathy_rnn TensorBoard plugin's views for a logdir, taken in Debian's headless Chromium.

    python scripts/plugin_screenshots.py runs --out docs/figures/plugin
    python scripts/plugin_screenshots.py runs --out shots --run war_and_peace-lstm-2x128/analysis/test --cell lstm2:37

Starts `tensorboard --logdir LOGDIR` on a free port, opens TensorBoard at the plugin's tab, and saves
colored_text.png, saturation.png, when some run has an oracle breakdown oracle.png, when some run has an agreement study, agreement.png, and when
some run has a connectivity study, connectivity.png with a character of its first text pinned; when some run was
analysed over training (train.py --analyze-every), saturation_layers.png (the layers side by side) and
training.png; with --band a stripe of another cell under the text, with --search the pattern search's matches
(search.png) (PNG, 1280x800 unless --width/--height; --colors quantises them so they are small enough to commit). Needs `apt install chromium chromium-driver` and the [dev] extra (Selenium).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("logdir", help="the logdir TensorBoard serves (as for `tensorboard --logdir`)")
    p.add_argument("--out", required=True, help="folder for the PNGs")
    p.add_argument("--run", help="the run to show in the colored-text and saturation views (default: the first)")
    p.add_argument("--cell", help="LAYER:CELL to colour, e.g. lstm2:37 (as the Layer menu names layers; default: the view's first)")
    p.add_argument("--state", default="c", help="state or gate to colour (default: %(default)s)")
    p.add_argument("--hover", type=int, default=40, help="character of the page to hover, so its value shows (and of the first connectivity text to pin)")
    p.add_argument("--slice", help="the oracle to open in the first Error oracles panel, so its examples show "
                   "(e.g. 500-memory; default: none)")
    p.add_argument("--band", help="LAYER:CELL drawn as a stripe under each character (several layers at once), e.g. "
                   "lstm1:12")
    p.add_argument("--search", help="FIRST:LAST characters of the page to select and search (Find similar): "
                   "search.png")
    p.add_argument("--threshold", type=float, default=0.5, help="the search's threshold (default: %(default)s)")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=800)
    p.add_argument("--colors", type=int, default=0, help="quantise each PNG to this many colours (0: keep)")
    return p


def _quantise(path: str, colors: int) -> None:
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def _take(args) -> list[str]:
    from selenium.common.exceptions import NoSuchElementException, TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    from tb_plugin.testing import css, headless_chromium, tensorboard, wait

    def choose(driver, name, value):
        def picked(d):                     # found afresh on each try: the view may redraw the menu meanwhile
            if not css(d, f"select[name='{name}'] option[value='{value}']"):
                return False
            try:
                Select(css(d, f"select[name='{name}']")[0]).select_by_value(value)
            except NoSuchElementException:
                return False
            return True
        try:
            wait(driver, picked, 10)
            time.sleep(1.0)
        except TimeoutException:
            raise KRNNError(f"--{name} {value}: the plugin offers "
                            + ", ".join(o.get_attribute("value") for o in css(driver, f"select[name='{name}'] option"))) \
                from None

    writable_folder(args.out, "--out")
    saved = []
    with tensorboard(os.path.abspath(args.logdir), timeout=300, ready=lambda body: bool(body["runs"])) as base:
        driver = headless_chromium(args.width, args.height)
        try:
            driver.get(f"{base}/#karpathy_rnn")
            driver.switch_to.frame(wait(driver, lambda d: css(d, "iframe"), 120)[0])
            wait(driver, lambda d: css(d, "pre.krnn-text span") or css(d, ".krnn-message"), 120)
            if css(driver, "pre.krnn-text span"):         # the view opens on the top-ranked cell once ranked
                wait(driver, lambda d: css(d, ".krnn-ranking h3"), 120)
                time.sleep(1.0)
            if args.run:
                choose(driver, "run", args.run)
            if args.cell:
                layer, _, cell = args.cell.partition(":")
                choose(driver, "layer", layer)
                choose(driver, "name", args.state)
                field = css(driver, "input[name=cell]")[0]
                driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                                      field, cell)
                wait(driver, lambda d: css(d, "pre.krnn-text span") and not css(d, ".krnn-status .krnn-hint"), 120)
            if args.band:
                _add_band(driver, args.band, choose)
            spans = css(driver, "pre.krnn-text span")
            if spans:
                ActionChains(driver).move_to_element(spans[min(args.hover, len(spans) - 1)]).perform()
            shots = [("colored_text.png", None)]
            if args.search:
                shots.append(("search.png", "search"))
            shots.append(("saturation.png", "saturation"))
            if css(driver, "button[data-view=oracle]"):           # a tab only where some run has an oracle breakdown
                shots.append(("oracle.png", "oracle"))
            if css(driver, "button[data-view=training]"):         # a tab only where some run was analysed over training
                shots += [("saturation_layers.png", "saturation-layers"), ("training.png", "training")]
            if css(driver, "button[data-view=agreement]"):        # a tab only where some run has the study
                shots.append(("agreement.png", "agreement"))
            if css(driver, "button[data-view=connectivity]"):
                shots.append(("connectivity.png", "connectivity"))
            for name, view in shots:
                if view == "search":
                    _search(driver, args.search, args.threshold)
                elif view == "saturation-layers":                 # the saturation view, now side by side
                    css(driver, "button[data-view=saturation]")[0].click()
                    wait(driver, lambda d: css(d, "select[name=layout]"), 120)
                    choose(driver, "layout", "side-by-side")
                elif view:
                    css(driver, f"button[data-view={view}]")[0].click()
                    time.sleep(1.5)
                    if view == "saturation" and args.run:
                        choose(driver, "run", args.run)
                    if view == "oracle" and args.slice:
                        chosen = [row for row in css(driver, "tr.krnn-slice-row")
                                  if row.get_attribute("data-slice") == args.slice]
                        if not chosen:
                            raise KRNNError(f"--slice {args.slice}: no such oracle in the Error oracles view")
                        chosen[0].click()
                        time.sleep(1.0)
                    points = css(driver, "circle.krnn-point, .krnn-agreement-point")
                    if points:
                        ActionChains(driver).move_to_element(points[len(points) // 2]).perform()
                    if view == "connectivity":           # pin a character of the first text, as a reader would
                        characters = wait(driver, lambda d: css(d, ".krnn-connectivity-model[data-model='0'] "
                                                                   "span[data-index]"), 120)
                        characters[min(args.hover, len(characters) - 1)].click()
                        time.sleep(0.5)
                driver.switch_to.default_content()
                path = os.path.join(args.out, name)
                driver.save_screenshot(path)
                driver.switch_to.frame(css(driver, "iframe")[0])
                if args.colors:
                    _quantise(path, args.colors)
                saved.append(path)
        finally:
            driver.quit()
    return saved


def _add_band(driver, band: str, choose) -> None:
    """--band LAYER:CELL: one stripe of that cell under each character."""
    from tb_plugin.testing import css, wait

    layer, _, cell = band.partition(":")
    css(driver, "button[data-action=add-band]")[0].click()
    wait(driver, lambda d: css(d, "select[name=band-layer]"), 60)
    choose(driver, "band-layer", layer)
    field = css(driver, "input[name=band-cell]")[0]
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                          field, cell)
    wait(driver, lambda d: css(d, "pre.krnn-text span[data-bands]"), 120)
    time.sleep(1.0)


def _search(driver, span: str, threshold: float) -> None:
    """--search FIRST:LAST: select those characters (click, shift+click), Find similar, wait for the matches."""
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.keys import Keys

    from tb_plugin.testing import css, wait

    first, _, last = span.partition(":")
    ends = [wait(driver, lambda d, i=i: css(d, f"pre.krnn-text span[data-index='{i}']"), 60)[0] for i in (first, last)]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", ends[0])
    ActionChains(driver).click(ends[0]).key_down(Keys.SHIFT).click(ends[1]).key_up(Keys.SHIFT).perform()
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                          css(driver, "input[name=threshold]")[0], str(threshold))
    css(driver, "button[data-action=search]")[0].click()
    wait(driver, lambda d: css(d, ".krnn-search .krnn-search-result") or css(d, ".krnn-search .krnn-message"), 120)
    driver.execute_script("document.querySelector('.krnn-search').scrollIntoView({block: 'start'})")
    time.sleep(0.5)


def main(argv=None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    from tb_plugin.testing import chromium_available

    if args.cell and not re.fullmatch(r"[^:]+:\d+", args.cell):
        p.error(f"--cell must be LAYER:CELL, e.g. lstm2:37, got {args.cell!r}")

    if not os.path.isdir(args.logdir):
        raise KRNNError(f"logdir {args.logdir!r} is not a folder; give the folder you would pass to tensorboard --logdir")
    if not chromium_available():
        raise KRNNError("Debian's chromium and chromium-driver are not installed: apt install chromium chromium-driver")
    for path in _take(args):
        print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
