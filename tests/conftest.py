from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a submission's result does not depend on
# luck; locally hypothesis keeps searching afresh (and remembers what it found)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

TESTS = Path(__file__).parent
PACKS = TESTS / "packs"
ROOT = TESTS.parent


@pytest.fixture(scope="session")
def minimal_pack():  # type: ignore[no-untyped-def]
    from bizroute import load_pack

    return load_pack(PACKS / "valid" / "minimal")
