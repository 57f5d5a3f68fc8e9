"""The managers' workshop in a real browser.

``ebpmkit workshop`` starts Voilà on 127.0.0.1 (a free port, no browser of its own); Debian's
chromium, driven by Playwright's sync API through ``executable_path`` (no browser build is
downloaded), opens every page of notebooks/manager. Each dashboard must render with Japanese
text and no error or traceback, a changed control must redraw its chart (the image's ``src``
changes), a cap below the price must give the Japanese message, and the page must not reach
the internet. Screenshots go to ``$EBPMKIT_SCREENSHOTS`` or a temporary folder; the test
prints where.

Without chromium (or Playwright) the test is skipped, except in CI (``EBPMKIT_CI=1``), where
a missing browser is a failure: the CI image installs it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import ebpmkit
from ebpmkit import widgets

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("EBPMKIT_CI") == "1"
#: A page runs all its cells (a kernel starts and loads the data) before it shows.
PAGE_SECONDS = 240
ERROR_WORDS = ("Traceback", "Error", "エラー", "There was an error")


def _browser_or_skip() -> None:
    why = None
    if not CHROMIUM.exists():
        why = f"chromium is not installed at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed"
    if why and IN_CI:
        pytest.fail(f"EBPMKIT_CI=1 and {why}: the browser test must run in CI")
    if why:
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ebpmkit_command() -> list[str]:
    script = Path(sys.executable).with_name("ebpmkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ebpmkit.cli"]


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ebpmkit workshop stopped:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    pytest.fail(f"ebpmkit workshop did not answer at {url}:\n{log.read_text(encoding='utf-8')}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server we started (SIGTERM lets Voilà shut its kernels down), by its id."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("EBPMKIT_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("workshop-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _browser_or_skip()
    # Generate the workshop's data once here (into this session's data folder, which the
    # server's kernels inherit), so no page waits for a generation.
    ebpmkit.load(scale=widgets.WORKSHOP_SCALE, progress=False)
    port = _free_port()
    log = tmp_path_factory.mktemp("workshop") / "voila.log"
    env = {**os.environ, "EBPMKIT_EXPORT_DIR": str(log.parent / "memo")}
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [*_ebpmkit_command(), "workshop", "--port", str(port), "--no-browser"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/", process, log)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Page:
    """One workshop page, opened in a fresh tab, recording what it asks the network for."""

    def __init__(self, browser, server: str, notebook: str, shots: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 2600}, locale="ja-JP")
        self.outside: list[str] = []
        self.reached: list[str] = []
        self.shots, self.name = shots, Path(notebook).stem
        local = (server, "data:", "blob:", "ws://127.0.0.1")
        self.page.on(
            "request", lambda r: None if r.url.startswith(local) else self.outside.append(r.url)
        )
        self.page.on(
            "requestfinished",
            lambda r: None if r.url.startswith(local) else self.reached.append(r.url),
        )  # fmt: skip
        self.page.goto(f"{server}/voila/render/{notebook}", timeout=PAGE_SECONDS * 1000)
        self.page.wait_for_selector("#rendered_cells", state="visible", timeout=PAGE_SECONDS * 1000)

    def dashboard(self, kind: str, index: int = 0):
        box = self.page.locator(f".ebpmkit-{kind}").nth(index)
        box.wait_for(state="visible", timeout=120_000)
        return box

    def text(self, *expected: str) -> str:
        """The page's text, once every ``expected`` word is on it.

        Voilà sends cell outputs as data that the page renders after it has loaded, so an
        output (a Markdown display, say) can appear a moment after the cells around it.
        """
        from playwright.sync_api import expect

        cells = self.page.locator("#rendered_cells")
        for word in expected:
            expect(cells).to_contain_text(word, timeout=PAGE_SECONDS * 1000)
        return cells.inner_text()

    def shot(self, what: str, locator=None) -> Path:
        path = self.shots / f"{self.name}-{what}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def check_clean(self) -> None:
        text = self.text()
        for word in ERROR_WORDS:
            assert word not in text, f"{self.name}: '{word}' on the page"
        assert not self.page.locator(".ebpmkit-error").is_visible()
        assert not self.reached, f"{self.name} reached the internet: {self.reached}"


def _src_changes(image, action, timeout: float = 60) -> str:
    before = image.get_attribute("src")
    action()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        after = image.get_attribute("src")
        if after and after != before:
            return after
        time.sleep(0.2)
    pytest.fail("the chart was not redrawn after the control changed")


def _slider(box, description: str):
    return box.locator(".widget-slider").filter(has_text=description).locator(".noUi-handle")


def test_the_guide_and_the_debrief_render_in_japanese(browser, server, shots):
    guide = Page(browser, server, "00_guide.ipynb", shots)
    # The municipality's name is computed on the page; text() fails if it is never drawn.
    guide.text("管理職向けワークショップ", "所要時間", widgets.workshop_dataset().municipality)
    guide.check_clean()
    guide.shot("page")
    debrief = Page(browser, server, "04_debrief.ipynb", shots)
    debrief.text("提案A", "提案B", "提案C", "主な見落とし")
    debrief.check_clean()
    debrief.shot("page")


def test_reading_charts_renders_and_the_explorer_redraws(browser, server, shots):
    page = Page(browser, server, "01_reading_charts.ipynb", shots)
    pitfalls = page.dashboard("pitfalls")
    assert "問い:" in pitfalls.inner_text()
    button = pitfalls.get_by_text("隠れていることを見る").first
    button.click()
    pitfalls.get_by_text("ポイント").first.wait_for(state="visible", timeout=30_000)
    page.shot("pitfalls", pitfalls)
    explorer = page.dashboard("explorer")
    image = explorer.locator("img").first
    image.wait_for(state="visible", timeout=60_000)
    labels = explorer.locator("label").all_inner_texts()
    assert "指標" in labels and "住区(複数可)" in labels
    page.shot("explorer-before", explorer)
    select = explorer.locator("select").first
    _src_changes(image, lambda: select.select_option(label="75歳以上の割合"))
    assert "75歳以上の割合" in explorer.inner_text()  # the table's caption follows
    page.shot("explorer-after", explorer)
    page.check_clean()


def test_the_checker_judges_a_loaded_proposal(browser, server, shots):
    page = Page(browser, server, "02_checklist.ipynb", shots)
    checker = page.dashboard("checker")
    assert "11項目のうち0項目を満たしています" in checker.inner_text()
    menu = checker.locator("select").first
    menu.select_option(index=3)  # 提案C
    cases = widgets.example_proposals(widgets.workshop_dataset())
    met = int(widgets.check_proposal(cases["C"].proposal)["met"].sum())
    checker.get_by_text(f"11項目のうち{met}項目を満たしています").wait_for(timeout=30_000)
    assert "作成者に聞く質問" in checker.inner_text()
    page.shot("checker", checker)
    page.check_clean()


def test_the_proposals_page_redraws_every_simulator(browser, server, shots):
    page = Page(browser, server, "03_proposals.ipynb", shots)
    page.shot("top")
    for kind in ("explorer", "furusato", "voucher"):
        box = page.dashboard(kind)
        box.locator("img").first.wait_for(state="visible", timeout=60_000)
    assert page.page.locator(".ebpmkit-checker").count() == 3
    furusato_box = page.dashboard("furusato")
    assert "30%ルール" in furusato_box.inner_text() and "5割ルール" in furusato_box.inner_text()
    handle = _slider(furusato_box, "調達費(%)").first
    image = furusato_box.locator("img").first
    _src_changes(image, lambda: (handle.focus(), handle.press("ArrowRight")))
    page.shot("furusato", furusato_box)
    voucher = page.dashboard("voucher")
    image = voucher.locator("img").first
    premium = _slider(voucher, "プレミアム率(%)")
    _src_changes(image, lambda: (premium.focus(), premium.press("ArrowLeft")))
    page.shot("voucher", voucher)
    cap = _slider(voucher, "1人の購入上限(円)")
    cap.focus()
    price = widgets.voucher_design(widgets.workshop_dataset())
    steps_down = (price.purchase_cap - 5_000) // 5_000
    for _ in range(steps_down):  # down to 5,000 yen, below the price of one set
        cap.press("ArrowLeft")
    message = voucher.locator(".ebpmkit-error")
    message.wait_for(state="visible", timeout=30_000)
    assert "1セットも買えません" in message.inner_text()
    assert "Traceback" not in voucher.inner_text()
    page.shot("voucher-invalid", voucher)
    for _ in range(steps_down):
        cap.press("ArrowRight")
    message.wait_for(state="hidden", timeout=30_000)
    image.wait_for(state="visible", timeout=30_000)
    page.check_clean()
