from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PACKS = TESTS / "packs"
ROOT = TESTS.parent


@pytest.fixture(scope="session")
def minimal_pack():  # type: ignore[no-untyped-def]
    from bizroute import load_pack

    return load_pack(PACKS / "valid" / "minimal")
