"""Write small instances (CSV folder + instance.toml) from Python dicts, for tests.

    write_instance(tmp_path / "inst", {"refineries": [{"refinery_id": "R", "crude_capacity_kbd": 100}], ...})

Each table is a list of row dicts; the CSV header is the union of the rows' keys in first-seen order
(an empty list writes the schema's full header, so the file exists with no rows). `None` writes an empty
cell. Only the tables given are written: optional tables left out are read as empty by the reader.
"""

from __future__ import annotations

import csv
from pathlib import Path

from optimizer.schema import TABLES_BY_NAME

DEFAULT_TOML = 'name = "test_instance"\ndescription = "A small instance written by a test."\n'


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # also numpy floats, whose repr is not a plain number
        return repr(float(value))
    return str(value)


def write_instance(folder: str | Path, tables: dict[str, list[dict]], toml_text: str = DEFAULT_TOML) -> Path:
    """Write `tables` as `<name>.csv` files and `toml_text` as instance.toml into `folder`; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(toml_text, encoding="utf-8")
    for name, rows in tables.items():
        if name not in TABLES_BY_NAME:
            raise ValueError(f"unknown table {name!r}; use one of {', '.join(TABLES_BY_NAME)}")
        header: list[str] = []
        for row in rows:
            for key in row:
                if key not in header:
                    header.append(key)
        if not rows:
            header = [c.name for c in TABLES_BY_NAME[name].columns]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row.get(key)) for key in header])
    return folder


def one_stream_tables(refineries: list[str], policies: list[dict] | None = None) -> dict[str, list[dict]]:
    """Refineries of 100 kb/d that turn crude into one saleable stream (fuel at 60 $/bbl): crude A (40 $/bbl,
    50 kb/d available) earns 20 $/bbl, crude B (50 $/bbl, unlimited) 10. With two refineries any split of A
    between them is optimal: the tests of ties, degenerate limits and per-refinery costs start from this."""
    tables: dict[str, list[dict]] = {
        "refineries": [{"refinery_id": r, "crude_capacity_kbd": 100} for r in refineries],
        "crudes": [{"crude_id": "A", "origin": "X", "api_deg": 30, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 40,
                    "availability_kbd": 50},
                   {"crude_id": "B", "origin": "Y", "api_deg": 30, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 50}],
        "streams": [{"stream_id": "oil"}],
        "crude_yields": [{"crude_id": c, "stream_id": "oil", "yield_vol_frac": 1.0} for c in ("A", "B")],
        "products": [{"product_id": "fuel", "price_usd_per_bbl": 60}],
        "blend_components": [{"product_id": "fuel", "stream_id": "oil"}],
    }
    if policies:
        tables["policies"] = policies
    return tables
