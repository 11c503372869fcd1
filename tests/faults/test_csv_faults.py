"""The legacy CSV faults: a quirky but valid CSV (byte-order mark, every field quoted) reads
exactly as the plain one, embedded line breaks, quotes and commas included; a ragged row and a
cut-off answer are refused naming the line."""

from __future__ import annotations

import pytest

from pipelines.sources.errors import MalformedResponse
from pipelines.sources.legacy import parse_csv
from sandbox.faults import (
    Answer,
    BomCsv,
    Call,
    FaultSet,
    NewlinesCsv,
    QuirkyCsv,
    RaggedCsv,
    TruncatedCsv,
    _csv_records,
)
from tests.legacy.test_client import DAY, csv_body
from warehouse.schemas_legacy import CSR

T0 = DAY[0] + 1000
PLAIN = csv_body(
    f"a,{T0},,chat,,,4,false,",
    f'b,{T0},,chat,"x\r\ny, ""quoted""",,5,true,',
    f'c,{T0},,chat,"",,6,false,é😀',
)


def test_a_quirky_csv_reads_as_the_plain_one() -> None:
    quirky = QuirkyCsv().csv(PLAIN)
    assert quirky is not None and quirky.startswith(b"\xef\xbb\xbf")
    assert b'"b","' in quirky  # every non-empty field quoted
    before, after = _csv_records(PLAIN.decode()), _csv_records(quirky[3:].decode())
    assert [[v for v, _q in r] for r in after] == [[v for v, _q in r] for r in before]
    # "" (an empty string) stays quoted, an empty field (null) stays empty
    assert [[q for v, q in r if not v] for r in after] == [
        [q for v, q in r if not v] for r in before
    ]
    assert any(q for r in before for v, q in r if not v)
    plain = parse_csv(PLAIN, CSR, "o", "w")
    assert plain.num_rows == 3
    assert parse_csv(quirky, CSR, "o", "w").equals(plain)


def test_a_ragged_row_and_a_cut_answer_are_refused_with_their_line() -> None:
    ragged = RaggedCsv().csv(PLAIN)
    assert ragged is not None
    with pytest.raises(MalformedResponse, match="malformed CSV at line 2: expected 9 fields"):
        parse_csv(ragged, CSR, "o", "w")
    cut = TruncatedCsv().csv(PLAIN)
    assert cut is not None and not cut.endswith(b"\n")
    with pytest.raises(MalformedResponse, match="the CSV answer is truncated"):
        parse_csv(cut, CSR, "o", "w")


def test_a_bom_alone_reads_as_the_plain_csv() -> None:
    bom = BomCsv().csv(PLAIN)
    assert bom == b"\xef\xbb\xbf" + PLAIN
    assert parse_csv(bom, CSR, "o", "w").equals(parse_csv(PLAIN, CSR, "o", "w"))


def test_a_value_over_three_lines_is_planted_once_per_record_and_read_exactly() -> None:
    (fault,) = FaultSet(["csv-newlines"], clock=None).faults
    assert isinstance(fault, NewlinesCsv)
    body = f"sid,cstts,customerName\r\na,{T0},Ann\r\nb,{T0},\r\n".encode()
    call = Call("/aws/api/v1/csrs", "GET", "legacy", 1, {}, b"", 1)
    answer = fault.after(call, Answer(200, {"content-type": "text/csv"}, body))
    # the header's line break, one inside a's value (and a bare LF), a's and b's
    assert answer.body.count(b"\r\n") == 4 and b'""quoted""\r\nsecond line\nthird' in answer.body
    assert fault.planted == {("csrs", "a"): ("customerName", NewlinesCsv.value)}
    parsed = parse_csv(answer.body, CSR, "o", "w").to_pydict()
    assert parsed["customer_name"] == [NewlinesCsv.value, None]
    again = fault.after(call, Answer(200, {"content-type": "text/csv"}, body))
    assert again.body == answer.body and fault.set is not None
    assert fault.set.fired == {"csv-newlines": 1}  # a record served again: the same value
