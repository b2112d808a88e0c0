"""Reading a result folder written by `crudeslate solve` back, and writing derived folders atomically.

A result folder holds `manifest.json` and either one CSV per table or `results.xlsx`. `compare` and
`report` start from here; nothing in this module imports Pyomo or HiGHS, so both stay quick.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import CrudeSlateError

MANIFEST = "manifest.json"
WORKBOOK = "results.xlsx"
OPTIMAL = "optimal"
COAST = "coast"  # refinery_id of rows that total every refinery
# Columns read as text whatever they hold (a tier "1" stays "1"; an empty index cell stays "").
ID_COLUMNS = ("scenario", "refinery_id", "crude_id", "origin", "unit_id", "unit_type", "stream_id", "product_id",
              "ref_product_id", "quality_id", "tier", "link_id", "rule_id", "family", "status")
# The tables `compare` and `report` read, with the columns they rely on.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "summary": ("scenario", "status", "objective_kusd_per_day", "crude_run_kbd"),
    "slate": ("refinery_id", "crude_id", "origin", "volume_kbd", "share_of_run_pct", "tariff_usd_per_bbl",
              "delivered_cost_usd_per_bbl", "reduced_cost_usd_per_bbl"),
    "units": ("refinery_id", "unit_id", "unit_type", "feed_kbd", "capacity_kbd", "utilization_pct",
              "marginal_value_usd_per_bbl"),
    "products": ("refinery_id", "product_id", "volume_kbd", "price_usd_per_bbl", "revenue_kusd_per_day"),
    "refineries": ("refinery_id", "crude_run_kbd", "crude_capacity_kbd", "revenue_kusd_per_day",
                   "crude_cost_kusd_per_day", "operating_cost_kusd_per_day", "margin_usd_per_bbl",
                   "margin_kusd_per_day"),
    "constraints": ("family", "body", "lower", "upper", "slack", "dual"),
}


class ResultsError(CrudeSlateError):
    """A folder that is not a usable result folder, or two that cannot be compared."""

    exit_code = 1


@dataclass(frozen=True)
class CaseResults:
    """One scenario's solve, read back: where it is, what produced it, its tables."""

    path: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def scenario(self) -> str:
        return str(self.manifest.get("scenario", self.path.name))

    @property
    def instance_name(self) -> str:
        return str(self.manifest.get("instance_name", ""))

    @property
    def objective_kusd_per_day(self) -> float:
        return float(self.tables["summary"]["objective_kusd_per_day"].iloc[0])

    @property
    def crude_run_kbd(self) -> float:
        return float(self.tables["summary"]["crude_run_kbd"].iloc[0])


def _read_csv(path: Path) -> pd.DataFrame:
    header = pd.read_csv(path, nrows=0).columns
    frame = pd.read_csv(path, dtype={c: str for c in header if c in ID_COLUMNS}, keep_default_na=False,
                        na_values={c: [""] for c in header if c not in ID_COLUMNS})
    return frame


def _text_ids(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column in ID_COLUMNS:
            frame[column] = frame[column].map(lambda x: "" if pd.isna(x) else str(x))
    return frame


def load_results(folder: str | Path) -> CaseResults:
    """Read one scenario's result folder; refuse anything else with a message that says what to give."""
    path = Path(folder)
    if not path.exists():
        raise ResultsError(f"{path}: no such folder. Give a folder written by `crudeslate solve`.")
    if not path.is_dir():
        raise ResultsError(f"{path}: is a file. Give the folder `crudeslate solve` wrote (it holds {MANIFEST}).")
    if not (path / MANIFEST).is_file():
        inner = sorted(p.name for p in path.iterdir() if (p / MANIFEST).is_file())
        if inner:
            raise ResultsError(f"{path}: holds the results of {len(inner)} scenarios ({', '.join(inner)}); "
                               f"give one of them, e.g. {path / inner[0]}.")
        raise ResultsError(f"{path}: not a result folder written by `crudeslate solve` (it has no {MANIFEST}).")
    try:
        meta = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path / MANIFEST}: cannot be read as JSON ({exc}).") from exc
    if not isinstance(meta, dict):
        raise ResultsError(f"{path / MANIFEST}: is not a solve manifest (a JSON object was expected).")
    if meta.get("kind") == "comparison":
        raise ResultsError(f"{path}: is a comparison written by `crudeslate compare`; give folders written by "
                           f"`crudeslate solve`.")
    status = meta.get("status")
    if status != OPTIMAL:
        raise ResultsError(f"{path}: scenario {meta.get('scenario', '?')} has no optimal plan (status {status}); "
                           f"there is no slate to compare or report.")
    tables: dict[str, pd.DataFrame] = {}
    if (path / WORKBOOK).is_file() and not (path / "summary.csv").is_file():
        from optimizer.xlsx_report import read_workbook

        tables = {name: _text_ids(frame) for name, frame in read_workbook(path / WORKBOOK).items()}
    else:
        for name in REQUIRED_COLUMNS:
            if (path / f"{name}.csv").is_file():
                tables[name] = _read_csv(path / f"{name}.csv")
    missing = [name for name in REQUIRED_COLUMNS if name not in tables]
    if missing:
        raise ResultsError(f"{path}: lacks the result tables {', '.join(missing)}; run `crudeslate solve` again "
                           f"to write a complete folder.")
    problems = [f"{name}: column {column}" for name, columns in REQUIRED_COLUMNS.items()
                for column in columns if column not in tables[name].columns]
    if problems:
        raise ResultsError(f"{path}: the tables lack columns this command needs ({'; '.join(problems)}); they were "
                           f"written by another version of crudeslate: solve again.")
    return CaseResults(path, meta, tables)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_folder_atomic(out: Path, files: dict[str, Callable[[Path], None]]) -> None:
    """Create folder `out` holding `files` (name -> writer of that path): replaced whole or not at all."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; results are for every reader
    try:
        for name, write in files.items():
            write(staging / name)
        if out.exists():
            retired = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, retired)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_file_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write one file through a temporary sibling, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(staging))
        os.chmod(staging, 0o644)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """Writer of `frame` as CSV in the same number format as the solve tables (-0.0 printed as 0)."""

    def write(path: Path) -> None:
        clean = frame.copy()
        for column in clean.columns:
            if pd.api.types.is_float_dtype(clean[column]):
                # the text pandas' float_format="%.10g" writes (empty for a missing value), made here:
                # pandas formats each value through a slower path (3x at 80,000 rows)
                values = (clean[column] + 0.0).to_numpy(dtype=float, na_value=math.nan).tolist()
                clean[column] = ["" if x != x else "%.10g" % x for x in values]  # noqa: UP031 (as pandas)
        clean.to_csv(path, index=False, lineterminator="\n")

    return write


def json_writer(data: dict[str, Any]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")

    return write
