"""Printing a page to PDF with headless Chromium (the browser's own print engine: CJK fonts,
line breaking and ``@page`` rules as a reader's browser would do them).

The browser is found from ``BIZROUTE_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` or ``google-chrome-stable`` on ``PATH``. Each print runs a fresh browser with
its own empty profile and everything that would reach the network switched off, so that it
finishes on a machine without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Switches that keep a headless Chromium from waiting on a network it does not have.
QUIET_FLAGS = ("--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--disable-default-apps")


class BrowserError(RuntimeError):
    """No browser was found, or it could not print the page."""


def find_chromium(explicit: str | None = None) -> str | None:
    """The browser to use: ``explicit``, ``BIZROUTE_CHROMIUM``, or the first on ``PATH``."""
    for name in (explicit, os.environ.get("BIZROUTE_CHROMIUM"), *CANDIDATES):
        if name:
            found = shutil.which(name)
            if found:
                return found
    return None


def browser_flags(profile: Path) -> list[str]:
    """The switches of a headless run with a fresh profile (``--no-sandbox`` only as root,
    where Chromium refuses to start without it)."""
    flags = [*QUIET_FLAGS, f"--user-data-dir={profile}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")
    return flags


def print_pdf(html: str, *, browser: str | None = None, timeout: float = 120.0) -> bytes:
    """``html`` (a self-contained page) printed to PDF; its ``@page`` rules set the paper."""
    exe = find_chromium(browser)
    if exe is None:
        raise BrowserError("printing to PDF needs Chromium or Google Chrome: install one "
                           "(Debian: apt-get install chromium fonts-noto-cjk) or set "
                           "BIZROUTE_CHROMIUM to the browser's path")
    with tempfile.TemporaryDirectory(prefix="bizroute-print-") as tmp:
        folder = Path(tmp)
        page, out = folder / "page.html", folder / "page.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [exe, *browser_flags(folder / "profile"), "--no-pdf-header-footer",
               f"--print-to-pdf={out}", page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"{exe} did not finish printing within {timeout:g} s") from None
        except OSError as exc:
            raise BrowserError(f"{exe} could not be started: {exc}") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise BrowserError(f"{exe} printed nothing (exit {done.returncode})"
                               + (": " + " / ".join(tail) if tail else ""))
        return out.read_bytes()
