"""Pages people read: the staff handbook of a pack, the customer's one-time notice, the
demand report (docs/handbook.md).

* :func:`build_handbook` writes a pack's handbook, a static site that works from ``file://``;
* :func:`render_notice` gives the one-time notice (一次性告知书) of a decided request as HTML
  for A4, and :func:`print_pdf` prints such a page to PDF with headless Chromium;
* :func:`render_report` gives the demand report of :class:`~bizroute.stats.Stats` as one
  self-contained HTML page with charts.

Each stage is a module of its own: :mod:`.describe` (conditions in plain Chinese),
:mod:`.diagram` (workflow SVG), :mod:`.views` (what a handbook page shows), :mod:`.handbook`,
:mod:`.notice`, :mod:`.report` and :mod:`.chromium` (printing).
"""

from __future__ import annotations

from .chromium import BrowserError, find_chromium, print_pdf
from .handbook import Handbook, build_handbook
from .notice import NotDecided, render_notice
from .report import render_report

__all__ = [
    "BrowserError",
    "Handbook",
    "NotDecided",
    "build_handbook",
    "find_chromium",
    "print_pdf",
    "render_notice",
    "render_report",
]
