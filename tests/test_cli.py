"""The command line: results on stdout, messages on stderr, documented exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bizroute.cli import main
from tests.conftest import PACKS

MINIMAL = str(PACKS / "valid" / "minimal")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_classify_jsonl_gives_one_result_per_record_and_exit_1_for_bad_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"id": "a", "description": "没电了"}\n'
                '{"id": "b", "description": \n'
                '{"id": "c", "customer": {"type": "alien"}}\n'
                '[1, 2]\n'
                '{"id": "e", "description": "销户"}\n')
    code, out, err = run(capsys, "classify", src, "--rules", MINIMAL, "--format", "jsonl",
                         "--as-of", "2025-01-01")
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in results] == ["decided", "error", "error", "error", "decided"]
    assert results[1]["error"]["position"].endswith("in.jsonl:2:28")
    assert results[2]["error"]["field"] == "customer.type"
    assert "5 record(s)" in err and "in.jsonl:2" in err


def test_classify_json_array_and_yaml_inputs(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    array = write(tmp_path, "in.json", '[{"description": "没电了"},\n {"description": "销户"}]')
    code, out, _ = run(capsys, "classify", array, "--rules", MINIMAL, "--format", "json")
    assert code == 0
    assert [r["record"]["line"] for r in json.loads(out)] == [1, 2]
    yml = write(tmp_path, "in.yaml", "- description: 没电了\n- description: 销户\n")
    code, out, _ = run(capsys, "classify", yml, "--rules", MINIMAL, "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 2


def test_classify_text_format_is_readable_chinese_with_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"description": "新装", "customer": {"type": "residential"}}\n')
    code, out, _ = run(capsys, "classify", src, "--rules", MINIMAL, "--format", "text",
                       "--explain")
    assert code == 0
    assert "低压居民新装 (res_new)" in out
    assert "一次性告知缺少 missing: 居民身份证 (id_card)、产权证明 (property)" in out
    assert "为何不是 why not" in out


def test_output_file_is_written_atomically(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"description": "没电了"}\n')
    target = tmp_path / "out.jsonl"
    code, out, _ = run(capsys, "classify", src, "--rules", MINIMAL, "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["status"] == "decided"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_output_file_gets_the_permissions_of_a_plain_new_file_or_of_the_one_it_replaces(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"description": "没电了"}\n')
    target = tmp_path / "out.jsonl"
    umask = os.umask(0o022)
    try:
        assert run(capsys, "classify", src, "--rules", MINIMAL, "-o", str(target))[0] == 0
        assert target.stat().st_mode & 0o777 == 0o644
        target.chmod(0o640)
        assert run(capsys, "classify", src, "--rules", MINIMAL, "-o", str(target))[0] == 0
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_failed_run_leaves_no_output_file(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "classify", str(tmp_path / "missing.jsonl"), "--rules", MINIMAL,
                       "-o", str(target))
    assert code == 2 and "missing.jsonl" in err
    assert list(tmp_path.iterdir()) == []


def test_broken_pack_is_exit_2_with_positions_and_no_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(PACKS / "invalid" / "refs" / "every-error-reported")
    code, out, err = run(capsys, "classify", "-", "--rules", broken)
    assert code == 2 and out == ""
    assert "rules.yaml:11:19: error BR201 [unknown-field]" in err
    assert "Traceback" not in err


def test_explain_shows_why_and_questions(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "one.json", '{"description": "要新装", "customer": {"type": "non_residential"}}')
    code, out, _ = run(capsys, "explain", src, "--rules", MINIMAL)
    assert code == 0
    assert "需补充信息 (needs_info)" in out
    assert "≤ 160 kVA → 低压非居民新装 (biz_new)" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "classify")[0] == 2
    assert run(capsys, "classify", "x.jsonl", "--as-of", "someday")[0] == 2
    assert run(capsys, "no-such-command")[0] == 2


def test_version_and_rule_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "bizroute" in out
    code, out, _ = run(capsys, "rule", "BR201")
    assert code == 0 and "unknown-field" in out and "Triggers it" in out
    assert run(capsys, "rule", "BR999")[0] == 2


def test_test_command_reports_failures_with_file_line_and_diff(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(MINIMAL, pack)
    (pack / "tests").mkdir()
    (pack / "tests" / "cases.yaml").write_text(
        "cases:\n"
        "  - id: fault\n    request: {description: 没电了}\n    expect: {status: decided, category: fault}\n"
        "  - id: wrong\n    request: {description: 销户}\n    expect: {status: decided, category: fault}\n",
        encoding="utf-8")
    code, out, _ = run(capsys, "test", str(pack))
    assert code == 1
    assert "1 passed, 1 failed" in out
    assert "cases.yaml:5:5 wrong" in out
    assert "- expected: fault" in out and "+ actual:   close" in out


@pytest.mark.skipif(os.name != "posix", reason="POSIX links and devices")
def test_output_through_a_link_replaces_the_file_it_names_and_keeps_the_link(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"description": "没电了"}\n')
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert run(capsys, "classify", src, "--rules", MINIMAL, "-o", str(link))[0] == 0
    assert link.is_symlink() and link.resolve() == real
    assert json.loads(real.read_text(encoding="utf-8"))["status"] == "decided"


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_output_to_a_device_writes_in_place_and_leaves_the_device(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import stat

    src = write(tmp_path, "in.jsonl", '{"description": "没电了"}\n')
    assert run(capsys, "classify", src, "--rules", MINIMAL, "-o", "/dev/null")[0] == 0
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_output_onto_a_directory_is_a_usage_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "in.jsonl", '{"description": "没电了"}\n')
    code, _, err = run(capsys, "classify", src, "--rules", MINIMAL, "-o", str(tmp_path))
    assert code == 2 and "is a directory" in err
