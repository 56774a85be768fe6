"""The Jinja2 environment of the pages, and the files shipped with them."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    """Templates from ``bizroute/pages/templates``, HTML-escaped, strict about undefined names
    (a typo in a template is an error, not an empty string)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bizroute.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def static_text(name: str) -> str:
    """A file of ``bizroute/pages/static`` (style sheets, scripts)."""
    return resources.files("bizroute.pages").joinpath("static", name).read_text("utf-8")
