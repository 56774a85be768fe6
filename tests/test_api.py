"""The public API is what ``bizroute.__all__`` lists, and nothing changes it by accident."""

from __future__ import annotations

import doctest

import pytest

import bizroute


def test_public_names_are_pinned() -> None:
    assert bizroute.__all__ == [
        "BizrouteError",
        "CaseStatus",
        "Decision",
        "Finding",
        "InputError",
        "Pack",
        "PackError",
        "PackHolder",
        "ReloadResult",
        "Request",
        "Tracker",
        "TrackingError",
        "WorkflowError",
        "__version__",
        "load_pack",
    ]


def test_every_public_name_exists() -> None:
    for name in bizroute.__all__:
        assert hasattr(bizroute, name), name


def test_exceptions_form_one_tree() -> None:
    for exc in (bizroute.PackError, bizroute.InputError, bizroute.WorkflowError,
                bizroute.TrackingError):
        assert issubclass(exc, bizroute.BizrouteError)
    assert issubclass(bizroute.InputError, ValueError)


def test_pack_error_carries_every_finding_sorted() -> None:
    from bizroute.codes import make_finding

    b = make_finding("BR201", "b", "x.yaml", 9, 1)
    a = make_finding("BR207", "a", "x.yaml", 2, 5)
    err = bizroute.PackError([b, a])
    assert err.findings == (a, b)
    assert "2 error(s)" in str(err) and "x.yaml:2:5" in str(err)


def test_textnorm_docstring_examples_hold() -> None:
    from bizroute import holder, intake, masking, textnorm

    for module in (textnorm, intake, masking, holder):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__


def test_loading_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    from tests.conftest import PACKS

    assert gc.isenabled()
    bizroute.load_pack(PACKS / "valid" / "minimal")
    assert gc.isenabled()
    gc.disable()
    try:
        bizroute.load_pack(PACKS / "valid" / "minimal")
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(bizroute.PackError):  # and after a pack that fails to load
        bizroute.load_pack(PACKS / "invalid" / "refs" / "unknown-field")
    assert gc.isenabled()


def test_a_pack_cannot_be_changed_after_loading(minimal_pack: bizroute.Pack) -> None:
    with pytest.raises(AttributeError):
        minimal_pack.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        minimal_pack.fields["x"] = minimal_pack.fields["intent"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del minimal_pack.documents["id_card"]  # type: ignore[attr-defined]
