"""Parsing a lead CSV file: the whole file or nothing (shared by the API and the CLI)."""

from __future__ import annotations

import csv
import io

from application.leads.importing import MAX_ROWS

CSV_COLUMNS = ("name", "email", "phone", "source", "campaign", "channel", "notes", "region")


class MalformedFile(ValueError):
    """The file cannot be read as a lead CSV (HTTP 400); nothing is imported."""

    @property
    def detail(self) -> str:
        return str(self)


def parse_csv(body: bytes) -> list[dict[str, str]]:
    """The whole file or nothing: any structural problem is a 400 before a row is captured."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedFile("the file is not UTF-8 text") from None
    if "\x00" in text:
        raise MalformedFile("the file is not a CSV text file")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames
        if not header:
            raise MalformedFile("the file has no header row")
        columns = [h.strip().lower() for h in header]
        unknown = sorted(set(columns) - set(CSV_COLUMNS))
        if unknown:
            raise MalformedFile(f"unknown columns: {', '.join(unknown)}; expected "
                                  f"{', '.join(CSV_COLUMNS)}")
        if len(set(columns)) != len(columns):
            raise MalformedFile("a column appears twice in the header")
        if not {"email", "phone"} & set(columns):
            raise MalformedFile("the header needs an email or a phone column")
        rows: list[dict[str, str]] = []
        for raw in reader:
            if None in raw:
                raise MalformedFile(f"line {reader.line_num} has more fields than the header")
            rows.append({key.strip().lower(): (value or "").strip()
                         for key, value in raw.items()})
            if len(rows) > MAX_ROWS:
                raise MalformedFile(f"the file has more than {MAX_ROWS} rows")
    except csv.Error as error:
        raise MalformedFile(f"the file is not valid CSV: {error}") from None
    if not rows:
        raise MalformedFile("the file has no data rows")
    return rows
