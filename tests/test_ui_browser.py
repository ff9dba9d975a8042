"""Acceptance: the MLflow UI, driven in headless Chromium, compares two training runs.

The test starts ``mlflow ui`` on a free loopback port over a temporary SQLite store holding two
runs, opens the experiment, selects both runs, opens the compare view, checks that validation
stance macro-F1 is shown for both, saves a screenshot, and stops the server. It is skipped only
when Chromium or its driver is not installed (``.ci/run`` installs both).

Set ``STANCE_UPDATE_SCREENSHOT=1`` to also write the screenshot to ``docs/img/compare.png``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT
from .servers import free_port, server, wait_until_up

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
METRIC = "val_stance_macro_f1"
WAIT = 90  # seconds before a UI step counts as failed (the page renders in a few)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromium-driver not installed")]


@pytest.fixture
def ui_url(mlflow_store, tmp_path):
    """``mlflow ui`` over the test store on a free loopback port; stopped after the test."""
    port = free_port()
    bin_dir = Path(sys.executable).parent  # the server execs `uvicorn` from PATH, as in an activated venv
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true"}
    command = [str(bin_dir / "mlflow"), "ui", "--backend-store-uri", mlflow_store["uri"], "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]
    log = tmp_path / "ui.log"
    with server(command, env, log, cwd=tmp_path) as process:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1500,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.25).until(condition, message=f"waiting for {what}")


# The compare page lists metrics in a virtualised grid (names on the left, one value column per
# run, scrolled together): only visible rows exist in the DOM, so scroll until the metric's row does.
_FIND_METRIC_ROW = """
const [metric, step] = arguments;
const names = [...document.querySelectorAll('.ReactVirtualized__Grid')]
    .find(g => g.querySelector('a[title="Plot chart"]'));
if (!names) return null;
const values = names.parentElement.nextElementSibling.querySelector('.ReactVirtualized__Grid');
const link = [...names.querySelectorAll('a[title="Plot chart"]')].find(a => a.textContent.trim() === metric);
if (!link) { values.scrollTop += step; return null; }
const top = link.parentElement.style.top;
const cells = [...values.querySelectorAll('[role=rowgroup] > div')].filter(c => c.style.top === top)
    .sort((a, b) => parseFloat(a.style.left) - parseFloat(b.style.left)).map(c => c.textContent.trim());
values.scrollTop = Math.max(0, parseFloat(top) - 90);  // the row third from the top, for the picture
values.scrollIntoView({block: 'end'});
return cells;
"""

# Scrolled from a script, the names column may lag the values; put it level, as a user's scroll would.
_ALIGN_NAMES = """
const names = [...document.querySelectorAll('.ReactVirtualized__Grid')]
    .find(g => g.querySelector('a[title="Plot chart"]'));
const values = names.parentElement.nextElementSibling.querySelector('.ReactVirtualized__Grid');
names.scrollTop = values.scrollTop;
// At the very bottom the values column (it has the horizontal scroll bar) can scroll a bar's height further.
if (values.scrollTop > names.scrollTop) values.scrollTop = names.scrollTop;
const rows = [...names.querySelectorAll('[role=rowgroup] > div')];
const first = Math.min(...rows.map(c => parseFloat(c.style.top)));
const last = Math.max(...rows.map(c => parseFloat(c.style.top) + c.offsetHeight));
return names.scrollTop === values.scrollTop && first <= names.scrollTop && last >= names.scrollTop + names.clientHeight;
"""


def compare_in_browser(driver, base_url: str, experiment: str, screenshot: Path) -> list[str]:
    """Open the experiment, select its first two runs, open the compare view; return METRIC's cells."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{base_url}/#/experiments")
    driver.execute_script("localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');"
                          "localStorage.setItem('mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', 'true');")
    driver.refresh()
    toggles = _wait(driver, lambda d: d.find_elements(By.XPATH, "//*[normalize-space(text())='Model training']"),
                    "the GenAI / Model training switch")
    toggles[0].click()  # MLflow 3 opens experiments in its GenAI view; runs live under "Model training"
    _wait(driver, ec.element_to_be_clickable((By.LINK_TEXT, experiment)), f"experiment {experiment!r}").click()
    row_box = "input[type=checkbox][aria-label^='Press Space to toggle row selection']"
    boxes = _wait(driver, lambda d: (lambda b: b if len(b) >= 2 else False)(d.find_elements(By.CSS_SELECTOR, row_box)),
                  "two run rows")
    for box in boxes[:2]:
        box.click()
    _wait(driver, ec.element_to_be_clickable((By.XPATH, "//button[normalize-space(.)='Compare']")),
          "the Compare button").click()
    _wait(driver, ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Comparing 2 Runs"), "the compare view")
    cells = _wait(driver, lambda d: d.execute_script(_FIND_METRIC_ROW, METRIC, 270), f"the {METRIC} row")
    _wait(driver, lambda d: d.execute_script(_ALIGN_NAMES), "metric names level with their values")
    time.sleep(1)  # let both grids repaint before the picture
    driver.save_screenshot(str(screenshot))
    return list(cells)


def test_compare_view_shows_macro_f1_of_both_runs(ui_url, browser, mlflow_store, tmp_path):
    from mlflow import MlflowClient

    shot = tmp_path / "compare.png"
    cells = compare_in_browser(browser, ui_url, "stance", shot)
    client = MlflowClient(tracking_uri=mlflow_store["uri"])
    expected = sorted(client.get_run(r).data.metrics[METRIC] for r in mlflow_store["run_ids"])
    assert len(cells) == 2, cells
    assert sorted(float(c) for c in cells) == pytest.approx(expected, abs=1e-3)
    assert "compare-runs" in browser.current_url
    for run_id in mlflow_store["run_ids"]:
        assert run_id in browser.current_url
    assert shot.stat().st_size > 10_000 and shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("STANCE_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "img" / "compare.png")
