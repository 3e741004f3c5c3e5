"""A malformed lead CSV names every wrong line (the console lists them), and its message, the
API's 400 detail, names the first (ADR 0087)."""

from __future__ import annotations

import pytest

from entrypoints.csv_import import MalformedFile, parse_csv


def test_every_line_with_too_many_fields_is_named_and_nothing_is_returned() -> None:
    body = b"name,email\nAna,a@example.com\nBo,b@example.com,x\nCy,c@example.com\nDi,d@x.com,y,z\n"
    with pytest.raises(MalformedFile) as refused:
        parse_csv(body)
    assert refused.value.lines == [(3, "more fields than the header"),
                                   (5, "more fields than the header")]
    assert str(refused.value) == "line 3 has more fields than the header (and 1 more line)"


def test_a_csv_error_is_named_with_the_lines_found_wrong_before_it() -> None:
    body = b'name,email\nBo,b@example.com,x\n"Cy,c@example.com\n'
    with pytest.raises(MalformedFile) as refused:
        parse_csv(body)
    assert refused.value.lines[0] == (2, "more fields than the header")
    assert "not valid CSV" in refused.value.lines[-1][1]


def test_a_header_problem_names_no_line_and_a_good_file_parses() -> None:
    with pytest.raises(MalformedFile) as refused:
        parse_csv(b"name,favourite_colour\nAna,blue\n")
    assert refused.value.lines == [] and "unknown columns" in str(refused.value)
    assert parse_csv(b"name,email\nAna,a@example.com\n") == [
        {"name": "Ana", "email": "a@example.com"}]
