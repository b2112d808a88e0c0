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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import CrudeSlateError

# a folder an output must not be, lie in or contain: an instance, or (folder, what it is) for other inputs
Protected = Path | tuple[Path, str]
MANIFEST = "manifest.json"
WORKBOOK = "results.xlsx"
OPTIMAL = "optimal"
COAST = "coast"  # refinery_id of rows that total every refinery
# Columns read as text whatever they hold (a tier "1" stays "1"; an empty index cell stays "").
ID_COLUMNS = ("scenario", "refinery_id", "crude_id", "origin", "unit_id", "unit_type", "stream_id", "product_id",
              "ref_product_id", "quality_id", "tier", "link_id", "rule_id", "family", "status", "purchase_id",
              "transfer_id", "from_refinery_id", "to_refinery_id")
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
# Tables a folder holds only when its instance trades intermediate streams; read when they are there.
OPTIONAL_TABLES = ("stream_purchases", "stream_transfers")


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
    if meta.get("kind") == "scenarios":
        inner = sorted(name for name in meta.get("scenarios", []) if (path / name / MANIFEST).is_file())
        raise ResultsError(f"{path}: holds the results of {len(inner)} scenarios ({', '.join(inner)}); "
                           f"give one of them" + (f", e.g. {path / inner[0]}." if inner else "."))
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
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_TABLES):
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


# ---------------------------------------------------------------------------------------------
# What a command may replace. Nothing a user made is ever deleted or overwritten: a results folder
# replaces only a missing path, an empty folder, or a folder a crudeslate command wrote (its
# manifest.json lists every file it holds); a single file replaces only a missing path or a file
# recognisably written by crudeslate. Anything else is refused (exit 2) before any work is done.

FILES_KEY = "crudeslate_files"  # added to every manifest.json written by write_folder_atomic
# Files that folders written before FILES_KEY existed may hold (their manifest.json lists nothing).
_LEGACY_FILES = {MANIFEST, WORKBOOK, "summary.csv", "slate.csv", "units.csv", "unit_feeds.csv", "blends.csv",
                 "products.csv", "refineries.csv", "constraints.csv", "compare.xlsx", "crude_values.csv",
                 "breakpoints.csv", "policy_costs.csv", "volume_vs_price.png", "explanation.csv",
                 "infeasibility.csv", "sweep_summary.csv", "sweep.csv"}
_LEGACY_PATTERNS = ("compare_*.csv", "plot_*.png")
_LEGACY_KEYS = {"input_sha256", "kind", "definition_key"}  # a manifest.json of ours has one of these
SUMMARY_HEADER = "scenario,status,objective_kusd_per_day,crude_run_kbd"  # first columns of every summary.csv
_SHOWN = 6  # entries named in a refusal


class OutputError(CrudeSlateError):
    """An output path a command may not write: it would delete or overwrite something it did not write."""

    exit_code = 2


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _shown(names: list[str]) -> str:
    listed = ", ".join(names[:_SHOWN])
    return listed + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _entry(path: Path) -> str:
    return path.name + ("/" if path.is_dir() and not path.is_symlink() else "")


def our_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest.json if a crudeslate command wrote it, else None."""
    try:
        meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get(FILES_KEY), list) or _LEGACY_KEYS & set(meta):
        return meta
    return None


def _html_of_ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            head = stream.read(1 << 16)
    except OSError:
        return False
    return head.startswith("<!DOCTYPE html>") and ('<meta name="generator" content="crudeslate' in head
                                                    or '<div class="sub">crude-slate plan' in head)


def written_by_crudeslate(path: Path) -> bool:
    """Whether the existing file `path` is one crudeslate writes (so a command may replace it)."""
    if not path.is_file() or path.is_symlink():
        return False
    suffix = path.suffix.lower()
    try:
        if suffix == ".html":
            return _html_of_ours(path)
        with open(path, "rb") as stream:
            head = stream.read(256)
    except OSError:
        return False
    if suffix == ".lp":
        return head.startswith(b"\\* Source Pyomo model")
    if suffix == ".mps":
        return head.startswith(b"* Source:     Pyomo MPS Writer")
    if suffix == ".csv":
        return head.startswith(SUMMARY_HEADER.encode())
    return False


def _foreign_entries(folder: Path, meta: dict[str, Any]) -> list[str]:
    """Entries of `folder` (one of ours) that no crudeslate command put there."""
    listed = meta.get(FILES_KEY)
    foreign = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if path.is_symlink():
            foreign.append(name)
        elif isinstance(listed, list):
            if name not in listed and name != MANIFEST and not (name.endswith(".html") and _html_of_ours(path)):
                foreign.append(_entry(path))
        elif path.is_dir() or not (name in _LEGACY_FILES or any(path.match(p) for p in _LEGACY_PATTERNS)
                                   or (name.endswith(".html") and _html_of_ours(path))):
            foreign.append(_entry(path))
    return foreign


def _fix(option: str) -> str:
    return f"give {option} a new or empty folder" if option.startswith("--") else "use --out with a new or empty folder"


def _where(out: str | Path, option: str) -> str:
    return f"{option} {out}" if option.startswith("--") else f"{option} {Path(os.path.abspath(out))}"


def check_output_place(out: str | Path, protect: Sequence[Protected] = (),
                       option: str = "results folder", replaced: bool = True) -> Path:
    """Refuse (OutputError) an output path that is, lies in or contains a `protect` folder (an instance), is a
    link, or cannot be created; and, when it is to be `replaced` whole, one that is or contains the current
    folder. The absolute path otherwise."""
    path = Path(os.path.abspath(out))
    where = _where(out, option)
    for entry in protect:
        # a folder, an instance; or (folder, what it is) for other inputs, e.g. the results compare reads
        folder, kind = entry if isinstance(entry, tuple) else (entry, "instance")
        guarded = Path(os.path.abspath(folder)).resolve()
        real = path.resolve()
        relation = (f"is the {kind} folder" if real == guarded else
                    f"lies inside the {kind} folder" if _is_within(real, guarded) else
                    f"contains the {kind} folder" if _is_within(guarded, real) else None)
        if relation:
            what = "results are never written into or over an instance" if kind == "instance" else \
                f"output is never written into or over the {kind} it reads"
            raise OutputError(f"{where}: {relation} {guarded}; {what}. Fix: give an output folder outside "
                              f"{guarded}, e.g. results/{guarded.name}.")
    cwd = Path.cwd().resolve()
    if replaced and _is_within(cwd, path.resolve()):
        relation = "is the current folder" if path.resolve() == cwd else "contains the current folder"
        raise OutputError(f"{where}: {relation}; a results folder is replaced whole, which would pull the "
                          f"folder you are working in from under you. Fix: give a subfolder, e.g. "
                          f"{os.path.join(str(out), 'results')}.")
    if path.is_symlink():
        raise OutputError(f"{where}: is a symbolic link (to {os.readlink(path)}); crudeslate does not replace "
                          f"links. Fix: {_fix(option)}, or give the folder the link points to.")
    if not path.exists():
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"{where}: cannot be created: {parent} is a file, not a folder. "
                                      f"Fix: {_fix(option)}.")
                break
    return path


def check_output_container(out: str | Path, protect: Sequence[Protected] = (),
                           option: str = "--out") -> Path:
    """Refuse a folder that is to receive several result folders (never replaced itself) if it may not."""
    path = check_output_place(out, protect, option, replaced=False)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{_where(out, option)}: is a file, not a folder; the results of several scenarios go "
                          f"into a folder, one subfolder each. Fix: give {option} a folder.")
    return path


def check_output_folder(out: str | Path, protect: Sequence[Protected] = (),
                        option: str = "results folder") -> str:
    """Refuse (OutputError) a folder a command may not replace; else say what is there: 'missing', 'empty' or
    'ours'. `protect`: folders (an instance) the output must not be, lie in, or contain; `option` names
    the path in messages (e.g. '--out')."""
    path = check_output_place(out, protect, option)
    where = _where(out, option)
    if not path.exists():
        return "missing"
    if not path.is_dir():
        raise OutputError(f"{where}: is a file, not a folder; crudeslate writes a folder of result tables there "
                          f"and will not replace a file it did not write. Fix: {_fix(option)}, or move the file "
                          f"away.")
    entries = sorted(path.iterdir())
    if not entries:
        return "empty"
    meta = our_manifest(path)
    if meta is None:
        shown = _shown([_entry(p) for p in entries])
        raise OutputError(f"{where}: is a folder crudeslate did not write (it holds {shown}, and no "
                          f"{MANIFEST} of a crudeslate command); a command writes only into a new or empty "
                          f"folder, or replaces a folder it wrote itself. Fix: {_fix(option)}, or move those "
                          f"files away.")
    foreign = _foreign_entries(path, meta)
    if foreign:
        raise OutputError(f"{where}: holds results crudeslate wrote, but also {_shown(foreign)}, which it did not "
                          f"write; replacing the folder would delete them. Fix: move them out of the folder, "
                          f"or {_fix(option)}.")
    return "ours"


def check_output_file(path: str | Path, option: str = "output file", owned: bool = False) -> None:
    """Refuse (OutputError) a file path a command may not write: a folder, a link, a file crudeslate did not
    write (`owned`: the caller knows it did, e.g. from a manifest listing it)."""
    target = Path(os.path.abspath(path))
    where = _where(path, option)
    if target.is_symlink():
        raise OutputError(f"{where}: is a symbolic link; crudeslate does not replace links. Fix: give a new "
                          f"file name.")
    if target.is_dir():
        raise OutputError(f"{where}: is a folder; a file name is needed here. Fix: give a file in it, e.g. "
                          f"{os.path.join(str(path), 'report.html' if target.suffix == '' else target.name)}.")
    if target.exists() and not owned and not written_by_crudeslate(target):
        raise OutputError(f"{where}: exists and was not written by crudeslate; it is not overwritten. Fix: give a "
                          f"new file name, or move the file away.")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{where}: cannot be created: {parent} is a file, not a folder. Fix: give a "
                                  f"path in a folder.")
            break


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    import errno

    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(error, os.strerror(error), str(b))


def _list_files(staging: Path, names: list[str]) -> None:
    """Record in the staged manifest.json which files the folder holds: what makes it ours."""
    path = staging / MANIFEST
    meta = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(meta, dict):
        meta[FILES_KEY] = sorted(names)
        path.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_folder_atomic(out: Path, files: dict[str, Callable[[Path], None]], protect: Sequence[Protected] = (),
                        verify: Callable[[Path], None] | None = None) -> None:
    """Create folder `out` holding `files` (name -> writer of that path): replaced whole or not at all.

    `out` may be missing, an empty folder or a folder a crudeslate command wrote; anything else is refused
    (`check_output_folder`, also for `protect`). `verify(staged_folder)` runs on the written files before they
    take `out`'s place (the self-check reads them back there); if it raises, `out` is left as it was."""
    out = Path(os.path.abspath(out))
    state = check_output_folder(out, protect)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"results folder {out}: cannot be created ({exc.strerror}). Fix: give an output folder "
                          f"you may write to.") from exc
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; results are for every reader
    try:
        for name, write in files.items():
            write(staging / name)
        if MANIFEST in files:
            _list_files(staging, list(files))
        if verify is not None:
            verify(staging)
        if check_output_folder(out, protect) != state:  # something appeared meanwhile: check again, never guess
            raise OutputError(f"results folder {out}: changed while the results were computed; run again.")
        if state == "missing":
            os.rename(staging, out)
        elif _exchange(staging, out):  # the old folder now sits at `staging`; `out` was never missing
            shutil.rmtree(staging) if state == "ours" else staging.rmdir()
        else:
            retired = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, retired)
            os.rename(staging, out)
            shutil.rmtree(retired) if state == "ours" else retired.rmdir()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"results folder {out}: cannot be written ({exc.strerror}). Fix: give an output folder "
                          f"you may write to.") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_file_atomic(path: Path, write: Callable[[Path], None], owned: bool = False) -> None:
    """Write one file through a temporary sibling, so a reader never sees half of it. An existing file is
    replaced only if crudeslate wrote it (`check_output_file`)."""
    path = Path(os.path.abspath(path))
    check_output_file(path, owned=owned)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"output file {path}: cannot be created ({exc.strerror}).") from exc
    os.close(handle)
    try:
        write(Path(staging))
        os.chmod(staging, 0o666 & ~_umask())
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
