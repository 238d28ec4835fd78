"""Drive a headless Chromium or Chrome through its command line: the DOM after scripts ran,
the console messages, a screenshot.

Which browser: `CHROME_PATH` when set, else the first of Debian's `chromium`, Google Chrome
and a few usual names and paths. Without one the browser tests skip, unless
`REPORT_BROWSER_REQUIRED=1` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
# Chromium logs every console message of the page at INFO as `...:CONSOLE:<line>] "message"`
# (`CONSOLE(<line>)` in older builds), whatever its level.
CONSOLE = re.compile(r":CONSOLE[:(]")
TIMEOUT_SECONDS = 90


def find_chrome() -> str | None:
    if os.environ.get("CHROME_PATH"):
        return os.environ["CHROME_PATH"]
    for name in NAMES:
        if found := shutil.which(name):
            return found
    return next((path for path in PATHS if Path(path).is_file()), None)


def require_chrome() -> str:
    """The browser's path; skip (or fail, when REPORT_BROWSER_REQUIRED=1) without one."""
    chrome = find_chrome()
    if chrome:
        return chrome
    message = (
        "no Chromium or Chrome found (set CHROME_PATH, or `apt-get install chromium`) "
        "for the report's browser test"
    )
    if os.environ.get("REPORT_BROWSER_REQUIRED") == "1":
        pytest.fail(message + "; REPORT_BROWSER_REQUIRED=1")
    pytest.skip(message)


@dataclass(frozen=True)
class Rendered:
    dom: str  # the page's HTML after its scripts ran
    console: list[str]  # the page's console messages, as Chromium logged them


def run_headless(chrome: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="report-chrome-") as profile:
        command = [
            chrome,
            "--headless",
            "--no-sandbox",  # as root, and on runners whose kernels forbid its sandbox
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *arguments,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    assert result.returncode == 0, f"{chrome} failed ({result.returncode}):\n{result.stderr}"
    return result


def render(chrome: str, page: Path) -> Rendered:
    result = run_headless(
        chrome, "--enable-logging=stderr", "--v=0", "--dump-dom", page.resolve().as_uri()
    )
    console = [line for line in result.stderr.splitlines() if CONSOLE.search(line)]
    return Rendered(dom=result.stdout, console=console)


def screenshot(chrome: str, page: Path, png: Path, height: int = 3400) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    run_headless(
        chrome, f"--screenshot={png}", f"--window-size=1280,{height}", page.resolve().as_uri()
    )
    assert png.is_file(), f"no screenshot at {png}"
    assert png.stat().st_size > 10_000, f"a blank screenshot at {png}"
    return png
