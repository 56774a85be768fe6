"""One JSON Lines encoder, reused over many decisions (its caches warm), still writes exactly
what ``orjson.dumps`` of each decision's payload writes."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from bench.synthetic import requests, write_pack

from bizroute import Pack, load_pack
from bizroute.errors import InputError
from bizroute.output import FastEncoder, JsonlWriter
from bizroute.readers import Record

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples" / "requests.jsonl"


def _requests(pack: Pack, kind: str) -> list[dict]:
    if kind == "default":
        lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    return list(requests(300, seed=5, n_rules=len(pack.rules)))


@pytest.mark.parametrize("kind", ["default", "synthetic"])
@pytest.mark.parametrize("explain", [False, True])
def test_a_reused_encoder_writes_what_orjson_dumps_writes(kind: str, explain: bool,
                                                        tmp_path: Path) -> None:
    pack = load_pack() if kind == "default" else load_pack(write_pack(tmp_path / "p", 30))
    encoder = FastEncoder()
    writer = JsonlWriter(None, explain=explain)  # type: ignore[arg-type]  # payload() only
    batch = _requests(pack, kind)
    for rounds in range(2):  # the second round reads every cache
        for i, request in enumerate(batch, start=1):
            try:
                decision = pack.classify(request, explain=explain)
            except InputError:
                continue
            record = Record(i, i, 1, data=request)
            expected = orjson.dumps(writer.payload(record, decision),
                                    option=orjson.OPT_APPEND_NEWLINE)
            assert encoder.line(record, decision, explain) == expected, (rounds, i)
