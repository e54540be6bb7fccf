"""The report opened in a real browser (headless Chromium): every published cell is on the rendered page and the
page draws. Skips only when Chromium is absent outside CI; in CI (CI=true) a missing browser fails."""
import os
import shutil
import subprocess
import tempfile

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib.colors import to_rgb

from shared.report import figures
from shared.report.cli import main
from shared.report.published import load_published

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed in CI: run .ci/install-browser.sh")
        pytest.skip("chromium is not installed (run .ci/install-browser.sh); required when CI=true")
    return path


def browse(page, *flags) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, page.as_uri()],
                              capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture
def report_page(synth):
    papers, results = synth
    figures.apply_style()
    curve = pd.DataFrame({"step": [0, 1, 2] * 2, "score": [0.0, 1.0, 2.0, 0.5, 1.5, 2.5], "seed": [0] * 3 + [1] * 3})
    ax = figures.learning_curves(curve, "step", "score")
    figures.save(ax.figure, results / "synth" / "figures" / "figure2.png")
    main(["report", "--papers-dir", str(papers), "--results-dir", str(results)])
    return papers, results / "report.html"


def test_every_published_cell_is_on_the_rendered_page(report_page):
    papers, page = report_page
    dom = browse(page, "--dump-dom").stdout
    published = load_published(papers / "synth" / "published.yaml")
    for artifact in published.artifacts:
        assert f'id="synth-{artifact.id}"' in dom
    for cell in (c for a in published.artifacts for c in a.cells):
        assert f"<td>{cell.setting}</td><td>{cell.method}</td>" in dom, cell
    assert dom.count('src="synth/figures/figure2.png"') == 1  # figure2 linked; figure1 marked not regenerated
    assert "Figure not regenerated at this scale" in dom


def test_screenshot_draws_the_page(report_page, tmp_path):
    _, page = report_page
    shot = tmp_path / "report.png"
    browse(page, f"--screenshot={shot}", "--window-size=1280,2000")
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    inked = np.mean(pixels[..., :3].mean(axis=-1) < 0.6)  # text, lines and figure, not blank white
    assert inked > 0.01, f"only {inked:.2%} of the screenshot is drawn"
    greens = np.all(np.abs(pixels[..., :3] - np.array([0xDA, 0xFB, 0xE1]) / 255) < 0.02, axis=-1)
    assert greens.sum() > 500  # the verdict colours render (match cells)
    band = np.all(np.abs(pixels[..., :3] - np.array(to_rgb(sns.color_palette("colorblind")[0]))) < 0.03, axis=-1)
    assert band.sum() > 200  # the linked figure loads: its line is drawn in the palette's first colour
