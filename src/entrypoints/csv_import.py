"""Parsing a lead CSV file: the whole file or nothing (shared by the API and the CLI)."""

from __future__ import annotations

import csv
import io

from application.leads.importing import MAX_ROWS

CSV_COLUMNS = ("name", "email", "phone", "source", "campaign", "channel", "notes", "region")


class MalformedFile(ValueError):
    """The file cannot be read as a lead CSV (HTTP 400); nothing is imported. ``lines`` names
    each line found wrong, with why (line 1 is the header), for a report per line."""

    def __init__(self, message: str, lines: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []

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
    rows: list[dict[str, str]] = []
    wrong: list[tuple[int, str]] = []
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
        for raw in reader:
            if None in raw:  # every such line is named, so one report shows them all
                wrong.append((reader.line_num, "more fields than the header"))
                continue
            rows.append({key.strip().lower(): (value or "").strip()
                         for key, value in raw.items()})
            if len(rows) > MAX_ROWS:
                raise MalformedFile(f"the file has more than {MAX_ROWS} rows")
    except csv.Error as error:
        raise MalformedFile(f"the file is not valid CSV: {error}",
                            [*wrong, (reader.line_num, f"not valid CSV: {error}")]) from None
    if wrong:
        others = len(wrong) - 1
        more = f" (and {others} more line{'s' if others > 1 else ''})" if others else ""
        raise MalformedFile(f"line {wrong[0][0]} has {wrong[0][1]}{more}", wrong)
    if not rows:
        raise MalformedFile("the file has no data rows")
    return rows
