"""An instance's tables as one .xlsx workbook (one sheet per table), the form many planners hand over."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from optimizer.instance import MANIFEST, parse_number
from optimizer.schema import TABLES

WORKBOOK = "instance.xlsx"


def write_workbook(source: Path, target: Path, drop_sheets: set[str] | frozenset[str] = frozenset()) -> Path:
    """Copy the CSV instance at `source` to folder `target`: instance.toml naming the workbook + the workbook."""
    from openpyxl import Workbook

    target.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for spec in TABLES:
        path = source / f"{spec.name}.csv"
        if not path.is_file() or spec.name in drop_sheets:
            continue
        sheet = book.create_sheet(spec.name)
        with open(path, newline="", encoding="utf-8-sig") as stream:
            for i, row in enumerate(csv.reader(stream)):
                numeric = [c if i == 0 or parse_number(c) is None or c.strip() == "" else parse_number(c) for c in row]
                sheet.append(numeric)
        sheet.freeze_panes = "A2"
    book.save(target / WORKBOOK)
    manifest = (source / MANIFEST).read_text(encoding="utf-8")
    manifest = re.sub(r"(?m)^workbook\s*=.*\n", "", manifest)
    (target / MANIFEST).write_text(f'workbook = "{WORKBOOK}"\n' + manifest, encoding="utf-8")
    return target / WORKBOOK
