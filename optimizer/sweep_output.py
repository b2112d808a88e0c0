"""Where a sweep writes: part files while it runs, then the assembled tables, manifest and plots.

While a sweep runs, every finished batch is written to `parts/` as two files, each atomically
(written aside, then renamed): the long rows first, then the summary rows, whose presence marks
the batch done. An interrupted sweep therefore leaves only whole batches behind, and `--resume`
skips them. When every batch is done the parts are joined in point order into `sweep_summary.csv`
and `sweep.csv` (each replaced atomically), the plots and `manifest.json` are written, and
`parts/` is removed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PARTS = "parts"
DEFINITION = "definition.json"
SUMMARY = "sweep_summary.csv"
LONG = "sweep.csv"
MANIFEST = "manifest.json"


def csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(cells))
    return buffer.getvalue()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's files are private (0600)


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        os.chmod(staging, _MODE)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def _part(out: Path, batch: int, kind: str) -> Path:
    return out / PARTS / f"batch-{batch:06d}.{kind}.csv"


def write_batch(out: str | Path, batch: int, summary_csv: str, long_csv: str) -> None:
    """A finished batch's two part files, each atomically; the summary last, as it marks the batch done."""
    write_text_atomic(_part(Path(out), batch, "long"), long_csv)
    write_text_atomic(_part(Path(out), batch, "summary"), summary_csv)


class SweepFolder:
    """The `--out` folder of one sweep: its parts while running, its tables once done."""

    def __init__(self, out: Path, key: str):
        self.out = Path(out)
        self.key = key
        self.parts = self.out / PARTS

    def started_key(self) -> str | None:
        """The definition key of an unfinished sweep in this folder, if there is one."""
        try:
            return json.loads((self.parts / DEFINITION).read_text())["key"]
        except (OSError, ValueError, KeyError):
            return None

    def finished_key(self) -> str | None:
        try:
            meta = json.loads((self.out / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        complete = (self.out / SUMMARY).exists() and (self.out / LONG).exists()
        return meta.get("definition_key") if complete and not self.parts.exists() else None

    def start(self, definition: dict[str, Any]) -> None:
        """Forget any earlier parts and record what this sweep is."""
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True)
        write_text_atomic(self.parts / DEFINITION, json.dumps({"key": self.key, **definition}, indent=2) + "\n")

    def done(self, batches: int) -> set[int]:
        return {b for b in range(batches) if _part(self.out, b, "summary").exists()}

    def write_batch(self, batch: int, summary_csv: str, long_csv: str) -> None:
        write_batch(self.out, batch, summary_csv, long_csv)

    def drop_staging(self) -> None:
        """Remove files a killed writer left half-written (never a finished part: those are renamed)."""
        for path in self.parts.glob(".batch-*"):
            path.unlink(missing_ok=True)

    def assemble(self, batches: int, summary_header: list[str], long_header: Iterable[str]) -> None:
        """Join the parts in point order into the two tables, each replaced whole or not at all."""
        for name, kind, header in ((SUMMARY, "summary", summary_header), (LONG, "long", long_header)):
            target = self.out / name
            handle, staging = tempfile.mkstemp(prefix=f".{name}.", dir=self.out)
            try:
                with os.fdopen(handle, "w", newline="") as stream:
                    stream.write(csv_line(header))
                    for b in range(batches):
                        with open(_part(self.out, b, kind), newline="") as part:
                            shutil.copyfileobj(part, stream, 1 << 20)
                os.chmod(staging, _MODE)
                os.replace(staging, target)
            except BaseException:
                Path(staging).unlink(missing_ok=True)
                raise

    def finish(self, manifest: dict[str, Any]) -> None:
        write_text_atomic(self.out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
        shutil.rmtree(self.parts, ignore_errors=True)


def plot_sweep(out: Path, summary_path: Path, swept: list[str], axis_labels: list[str], neutral: list[float | None],
               zipped: bool) -> list[str]:
    """One PNG per swept parameter, against that parameter: crude run by origin (stacked), the change of
    each origin's volume from the point nearest `neutral` (0 for a shift, 1 for a factor: which barrels
    displace which), and the margin. With several parameters on a grid the others are held at the
    value nearest the middle of their range (named in the title); with --zip every point lies on the
    one curve. One column of panels per scenario; grey bands mark points with no optimal plan.
    Returns the file names written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(summary_path)
    scenarios = list(dict.fromkeys(frame["scenario"]))
    origins = [c for c in frame.columns if c.startswith("origin_") and c.endswith("_kbd")]
    used = [c for c in origins if frame[c].fillna(0).abs().max() > 1e-6]
    cmap = plt.get_cmap("tab10" if len(used) <= 10 else "tab20")
    palette = [cmap(i) for i in range(cmap.N)]
    colours = {c: palette[i % len(palette)] for i, c in enumerate(used)}
    written = []
    for k, column in enumerate(swept):
        held = {}
        rows = frame
        if not zipped:
            for other in swept:
                if other != column:
                    values = np.sort(frame[other].unique())
                    held[other] = values[np.argmin(np.abs(values - (values[0] + values[-1]) / 2))]
                    rows = rows[rows[other] == held[other]]
        fig, axes = plt.subplots(3, len(scenarios), figsize=(6.4 * len(scenarios) + 1.6, 9.6), squeeze=False,
                                 sharex="col", gridspec_kw={"height_ratios": [2, 1.4, 1]})
        for s, scenario in enumerate(scenarios):
            data = rows[rows["scenario"] == scenario].sort_values(column)
            x = data[column].to_numpy(dtype=float)
            stacked, change, margin = axes[0][s], axes[1][s], axes[2][s]
            volumes = {c: data[c].to_numpy(dtype=float) for c in used}
            ok = (data["status"] == "optimal").to_numpy()
            if used and ok.any():
                # only points with a plan: a stack would otherwise slope down to zero across a gap
                stacked.stackplot(x[ok], [volumes[c][ok] for c in used], labels=[_origin_label(c) for c in used],
                                  colors=[colours[c] for c in used], alpha=0.9)
                target = neutral[k] if neutral[k] is not None else x[0]
                candidates = np.flatnonzero(ok)
                if len(candidates):
                    ref = candidates[np.argmin(np.abs(x[candidates] - target))]
                    for c in used:
                        change.plot(x, volumes[c] - volumes[c][ref], color=colours[c], lw=1.8)
                    change.axhline(0, color="black", lw=0.6)
                    change.set_ylabel(f"change from x = {x[ref]:g}, kb/d")
            for xi in x[(data["status"] != "optimal").to_numpy()]:
                for ax in (stacked, change, margin):
                    ax.axvline(xi, color="grey", alpha=0.3, lw=4)
            stacked.set_ylabel("crude run by origin, kb/d")
            stacked.set_title(f"scenario {scenario}")
            margin.plot(x, data["objective_kusd_per_day"].to_numpy(dtype=float) / 1000.0, marker=".", color="black")
            margin.set_ylabel("margin, million US$/d")
            for ax in (stacked, change, margin):
                ax.grid(alpha=0.3)
        handles, names = axes[0][0].get_legend_handles_labels()
        if handles:
            fig.legend(handles[::-1], names[::-1], loc="center right", fontsize=8, frameon=False)
        title = f"Sweep of {column}"
        if held:
            title += "\n(" + ", ".join(f"{c} held at {v:g}" for c, v in held.items()) + ")"
        if (rows["status"] != "optimal").any():
            title += "\ngrey bands: points with no optimal plan"
        fig.suptitle(title, fontsize=10)
        fig.supxlabel(axis_labels[k], fontsize=10)
        fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth() if handles else 1, 1))
        name = f"plot_{k + 1}_{_slug(column)}.png"
        staging = out / f".{name}"
        fig.savefig(staging, dpi=110, format="png")
        plt.close(fig)
        os.replace(staging, out / name)
        written.append(name)
    return written


def _origin_label(column: str) -> str:
    return column[len("origin_"):-len("_kbd")].replace("_", " ").title()


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60]
