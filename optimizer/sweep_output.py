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
from dataclasses import dataclass
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


def write_text_atomic(path: Path, text: str, staging_dir: Path | None = None, create: bool = True) -> None:
    """Write `path` through a temporary file (in `staging_dir`, default beside it) renamed into place.
    `create=False`: the folder must exist (a stray writer never re-creates a removed `parts/`)."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=staging_dir or path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        os.chmod(staging, _MODE)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def _part(out: Path, key: str, batch: int, kind: str) -> Path:
    # the sweep's definition key in the name: a part of another sweep (a stray worker of an earlier run)
    # is never taken for one of this sweep's
    return out / PARTS / f"batch-{batch:06d}-{key}.{kind}.csv"


def write_batch(out: str | Path, key: str, batch: int, summary_csv: str, long_csv: str) -> None:
    """A finished batch's two part files, each atomically; the summary last, as it marks the batch done.
    `parts/` must exist: once a sweep has removed it (finished, or started over), nothing writes there."""
    write_text_atomic(_part(Path(out), key, batch, "long"), long_csv, create=False)
    write_text_atomic(_part(Path(out), key, batch, "summary"), summary_csv, create=False)


@dataclass
class FolderState:
    """What an output folder holds, for the decision to start, resume, refuse or replace."""

    kind: str  # "missing", "empty", "finished" (a sweep), "unfinished" (a sweep), "other" (another command's)
    key: str | None = None  # the sweep's definition key
    meta: dict[str, Any] | None = None
    saved_batches: int = 0


class SweepFolder:
    """The `--out` folder of one sweep: its parts while running, its tables once done.

    The folder always says what it is: while a sweep runs, `manifest.json` records the definition
    (`complete: false`) and lists `parts/` as the folder's content, so the check every results
    writer makes (`optimizer.result_files.check_output_folder`: nothing crudeslate did not write is
    replaced) knows it; the finished manifest lists the tables and plots."""

    def __init__(self, out: Path, key: str):
        self.out = Path(out)
        self.key = key
        self.parts = self.out / PARTS

    def started_key(self) -> str | None:
        """The definition key of an unfinished sweep in this folder, if there is one."""
        try:
            return json.loads((self.parts / DEFINITION).read_text())["key"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def finished_key(self) -> str | None:
        try:
            meta = json.loads((self.out / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        complete = (self.out / SUMMARY).exists() and (self.out / LONG).exists() and meta.get("complete", True)
        return meta.get("definition_key") if complete and not self.parts.exists() else None

    def _manifest(self) -> dict[str, Any] | None:
        try:
            meta = json.loads((self.out / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def survey(self, protect: tuple[Path, ...], option: str) -> FolderState:
        """What the folder holds; OutputError (exit 2) for a path no crudeslate command may write
        (a file, a link, a folder holding anything crudeslate did not write, an instance folder)."""
        from optimizer.result_files import check_output_folder

        self._drop_own_staging()
        if self.out.is_dir() and not self.out.is_symlink() and self._manifest() is None and self.started_key() \
                and {p.name for p in self.out.iterdir()} == {PARTS}:
            kind = "ours"  # an unfinished sweep of a version that kept no manifest while running
        else:
            kind = check_output_folder(self.out, protect, option)
        if kind != "ours":
            return FolderState(kind)
        started = self.started_key()
        if started is not None:
            saved = len(list(self.parts.glob(f"batch-*-{started}.summary.csv")))
            return FolderState("unfinished", started, self._manifest(), saved)
        finished = self.finished_key()
        if finished is not None:
            return FolderState("finished", finished, self._manifest())
        return FolderState("other", None, self._manifest())

    def _drop_own_staging(self) -> None:
        """Temporary files this module's writers leave when killed mid-write (mkstemp's names of ours)."""
        if self.out.is_dir() and not self.out.is_symlink():
            for name in (MANIFEST, SUMMARY, LONG):
                for path in self.out.glob(f".{name}.*"):
                    path.unlink(missing_ok=True)
        if self.parts.is_dir():
            self.drop_staging()

    def clear(self) -> None:
        """Remove everything in the folder (checked by `survey` to hold only what crudeslate wrote)."""
        manifest = self.out / MANIFEST
        manifest.unlink(missing_ok=True)  # first: a half-cleared folder is no longer taken for a finished one
        for path in sorted(self.out.iterdir()) if self.out.is_dir() else ():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()

    def start(self, definition: dict[str, Any], plots: list[str]) -> None:
        """Record what this sweep is (the running manifest first, so the folder is always one of ours; it
        lists every file the sweep may write), and forget any earlier parts."""
        from optimizer.result_files import FILES_KEY

        running = {"definition_key": self.key, "kind": "sweep", "complete": False, **definition,
                   FILES_KEY: sorted([MANIFEST, PARTS, SUMMARY, LONG, *plots])}
        write_text_atomic(self.out / MANIFEST, json.dumps(running, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True)
        write_text_atomic(self.parts / DEFINITION, json.dumps({"key": self.key, **definition}, indent=2) + "\n")

    def done(self, batches: int) -> set[int]:
        return {b for b in range(batches) if _part(self.out, self.key, b, "summary").exists()}

    def write_batch(self, batch: int, summary_csv: str, long_csv: str) -> None:
        write_batch(self.out, self.key, batch, summary_csv, long_csv)

    def drop_staging(self) -> None:
        """Remove files a killed writer left half-written (never a finished part: those are renamed)."""
        for path in self.parts.glob(".*"):
            if path.is_file():
                path.unlink(missing_ok=True)

    def assemble(self, batches: int, summary_header: list[str], long_header: Iterable[str]) -> None:
        """Join the parts in point order into the two tables, each replaced whole or not at all."""
        for name, kind, header in ((SUMMARY, "summary", summary_header), (LONG, "long", long_header)):
            target = self.out / name
            handle, staging = tempfile.mkstemp(prefix=f".{name}.", dir=self.parts)
            try:
                with os.fdopen(handle, "w", newline="") as stream:
                    stream.write(csv_line(header))
                    for b in range(batches):
                        with open(_part(self.out, self.key, b, kind), newline="") as part:
                            shutil.copyfileobj(part, stream, 1 << 20)
                os.chmod(staging, _MODE)
                os.replace(staging, target)
            except BaseException:
                Path(staging).unlink(missing_ok=True)
                raise

    def finish(self, manifest: dict[str, Any], plots: list[str]) -> None:
        """The manifest (listing the folder's files), then `parts/` goes; plots of an earlier run of this
        sweep that this run did not draw go too."""
        from optimizer.result_files import FILES_KEY

        for path in self.out.glob("plot_*.png"):
            if path.name not in plots:
                path.unlink(missing_ok=True)
        files = sorted([MANIFEST, SUMMARY, LONG, *plots])
        text = json.dumps({**manifest, "complete": True, FILES_KEY: files}, indent=2, sort_keys=True, default=str)
        write_text_atomic(self.out / MANIFEST, text + "\n", staging_dir=self.parts)
        shutil.rmtree(self.parts, ignore_errors=True)


def plot_sweep(out: Path, summary_path: Path, swept: list[str], axis_labels: list[str], neutral: list[float | None],
               zipped: bool, focus: Iterable[str] = ()) -> list[str]:
    """One PNG per swept parameter, against that parameter: crude run by origin (stacked), the change of
    each origin's volume from the point nearest `neutral` (0 for a shift, 1 for a factor: which barrels
    displace which), and the margin. With several parameters on a grid the others are held at the
    value nearest the middle of their range (named in the title), and one more PNG maps the margin and
    the volume of the origins the sweep is about (`focus`: their origin_* columns; else those that move most) over the
    first two parameters. With --zip every point lies on the one walk: a parameter that does not move
    one way along it is plotted against the walk's step. One column of panels per scenario; grey
    bands (grey cells) mark points with no optimal plan, and only points with a plan are drawn.
    Returns the file names written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.read_csv(summary_path)
    scenarios = list(dict.fromkeys(frame["scenario"]))
    origins = [c for c in frame.columns if c.startswith("origin_") and c.endswith("_kbd")]
    used = [c for c in origins if frame[c].fillna(0).abs().max() > 1e-6]
    cmap = plt.get_cmap("tab10" if len(used) <= 10 else "tab20")
    palette = [cmap(i) for i in range(cmap.N)]
    colours = {c: palette[i % len(palette)] for i, c in enumerate(used)}
    names = plot_names(swept, zipped)
    for k in range(len(swept)):
        fig = _curves(plt, frame, scenarios, swept, k, axis_labels[k], neutral[k], zipped, used, colours)
        _save(plt, fig, out, names[k])
    if len(names) > len(swept):
        fig = _grid(plt, frame, scenarios, swept, axis_labels, neutral, used, list(focus))
        _save(plt, fig, out, names[-1])
    return names


def plot_names(swept: list[str], zipped: bool) -> list[str]:
    """The PNGs `plot_sweep` writes: one a swept parameter, and a map over the first two of a grid."""
    names = [f"plot_{k + 1}_{_slug(column)}.png" for k, column in enumerate(swept)]
    if not zipped and len(swept) >= 2:
        names.append(f"plot_grid_{_slug(swept[0])}_x_{_slug(swept[1])}.png")
    return names


def _save(plt: Any, fig: Any, out: Path, name: str) -> None:
    staging = out / PARTS / f".{name}"  # staged in parts/: a killed run leaves nothing beside the results
    fig.savefig(staging, dpi=110, format="png")
    plt.close(fig)
    os.replace(staging, out / name)


def _runs(ok: Any) -> list[tuple[int, int]]:
    """[start, stop) of each run of consecutive True in `ok`."""
    runs, start = [], None
    for i, flag in enumerate(list(ok) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _curves(plt: Any, frame: Any, scenarios: list[str], swept: list[str], k: int, axis_label: str,
            neutral: float | None, zipped: bool, used: list[str], colours: dict[str, Any]) -> Any:
    import numpy as np

    column = swept[k]
    held = {}
    rows = frame
    if not zipped:
        for other in swept:
            if other != column:
                values = np.sort(frame[other].unique())
                held[other] = values[np.argmin(np.abs(values - (values[0] + values[-1]) / 2))]
                rows = rows[rows[other] == held[other]]
    # on a --zip walk a parameter may go back and forth, or repeat a value: plot it against the walk's step
    walk = zipped and not _monotone(rows[rows["scenario"] == scenarios[0]][column].to_numpy(dtype=float))
    fig, axes = plt.subplots(3, len(scenarios), figsize=(6.4 * len(scenarios) + 1.6, 9.6), squeeze=False,
                             sharex="col", gridspec_kw={"height_ratios": [2, 1.4, 1]})
    for s, scenario in enumerate(scenarios):
        data = rows[rows["scenario"] == scenario]
        data = data.sort_values("point") if walk else data.sort_values(column, kind="stable")
        values = data[column].to_numpy(dtype=float)
        x = np.arange(len(data), dtype=float) if walk else values
        stacked, change, margin = axes[0][s], axes[1][s], axes[2][s]
        volumes = {c: data[c].to_numpy(dtype=float) for c in used}
        ok = (data["status"] == "optimal").to_numpy()
        spacing = float(np.median(np.diff(np.unique(x)))) if len(np.unique(x)) > 1 else 1.0
        if used and ok.any():
            # each run of points with a plan stacked on its own: no false slope across a point without one;
            # a lone point as a narrow stacked bar
            for r, (a, b) in enumerate(_runs(ok)):
                labels = [_origin_label(c) for c in used] if r == 0 else []
                if b - a > 1:
                    stacked.stackplot(x[a:b], [volumes[c][a:b] for c in used], labels=labels,
                                      colors=[colours[c] for c in used], alpha=0.9)
                else:
                    bottom = 0.0
                    for i, c in enumerate(used):
                        stacked.bar(x[a], volumes[c][a], width=0.3 * spacing, bottom=bottom, color=colours[c],
                                    alpha=0.9, label=labels[i] if labels else None)
                        bottom += volumes[c][a]
            target = neutral if neutral is not None and not walk else x[0]
            candidates = np.flatnonzero(ok)
            ref = candidates[np.argmin(np.abs((values if not walk else x)[candidates] - target))]
            for c in used:  # NaN where there is no plan: the line breaks there; markers show every point
                change.plot(x, volumes[c] - volumes[c][ref], color=colours[c], lw=1.6, marker=".", ms=4)
            change.axhline(0, color="black", lw=0.6)
            where = f"step {int(x[ref])}" if walk else f"x = {x[ref]:g}"
            change.set_ylabel(f"change from {where}, kb/d")
        for xi in x[~ok]:
            for ax in (stacked, change, margin):
                ax.axvline(xi, color="grey", alpha=0.3, lw=4)
        stacked.set_ylabel("crude run by origin, kb/d")
        stacked.set_title(f"scenario {scenario}")
        margin.plot(x, data["objective_kusd_per_day"].to_numpy(dtype=float) / 1000.0, marker=".", color="black")
        margin.set_ylabel("margin, million US$/d")
        if walk:
            shown = np.unique(np.linspace(0, len(x) - 1, min(len(x), 12)).round().astype(int))
            margin.set_xticks(x[shown], [f"{i}\n{values[i]:g}" for i in shown], fontsize=8)
        for ax in (stacked, change, margin):
            ax.grid(alpha=0.3)
    handles, names = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles[::-1], names[::-1], loc="center right", fontsize=8, frameon=False)
    title = f"Sweep of {column}"
    if held:
        title += "\n(" + ", ".join(f"{c} held at {v:g}" for c, v in held.items()) + ")"
    if walk:
        title += "\n(--zip walk: this parameter does not move one way along it, so x is the walk's step)"
    if (rows["status"] != "optimal").any():
        title += "\ngrey bands: points with no optimal plan"
    fig.suptitle(title, fontsize=10)
    fig.supxlabel(f"step of the --zip walk; below each step, x:\n{axis_label}" if walk else axis_label, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth() if handles else 1, 1))
    return fig


def _monotone(values: Any) -> bool:
    import numpy as np

    steps = np.diff(values)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def _edges(values: Any) -> Any:
    """Cell edges around sorted values (halfway between neighbours), for a heat map of uneven steps."""
    import numpy as np

    if len(values) == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middle = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def _grid(plt: Any, frame: Any, scenarios: list[str], swept: list[str], axis_labels: list[str],
          neutral: list[float | None], used: list[str], focus: list[str]) -> Any:
    """Heat maps over the first two swept parameters (others held at their middle): the margin, and the
    volume of the focus origins (else those whose volume moves most over the grid), one column a scenario."""
    import numpy as np

    a, b = swept[0], swept[1]
    rows = frame
    held = {}
    for other in swept[2:]:
        values = np.sort(frame[other].unique())
        held[other] = values[np.argmin(np.abs(values - (values[0] + values[-1]) / 2))]
        rows = rows[rows[other] == held[other]]
    ranges = {c: float(rows[c].max() - rows[c].min()) if rows[c].notna().any() else 0.0 for c in used}
    chosen = list(dict.fromkeys(c for c in focus if ranges.get(c, 0.0) > 1e-6))[:2]
    for c in sorted(ranges, key=lambda c: -ranges[c]):
        if len(chosen) >= 2 or ranges[c] <= 1e-6:
            break
        if c not in chosen:
            chosen.append(c)
    panels = [("objective_kusd_per_day", "margin, million US$/d", 1 / 1000.0, "viridis")] + \
        [(c, f"{_origin_label(c)} crude run, kb/d", 1.0, "Blues") for c in chosen]
    xs, ys = np.sort(rows[a].unique()), np.sort(rows[b].unique())
    fig, axes = plt.subplots(len(panels), len(scenarios), figsize=(6.6 * len(scenarios) + 0.8, 3.8 * len(panels)),
                             squeeze=False)
    xlabel, ylabel = (label.replace("  (", "\n(") for label in axis_labels[:2])
    inside = neutral[0] is not None and neutral[1] is not None and xs[0] <= neutral[0] <= xs[-1] \
        and ys[0] <= neutral[1] <= ys[-1]
    tables = {}
    for scenario in scenarios:
        data = rows[rows["scenario"] == scenario]
        cells = data[data["status"] == "optimal"]
        for column, _, scale, _ in panels:
            table = np.full((len(ys), len(xs)), np.nan)
            table[np.searchsorted(ys, cells[b]), np.searchsorted(xs, cells[a])] = \
                cells[column].to_numpy(dtype=float) * scale
            tables[scenario, column] = table
    for p, (column, label, _, cmap_name) in enumerate(panels):
        # one colour scale a row: the scenarios side by side compare at a glance
        finite = np.concatenate([tables[s, column][np.isfinite(tables[s, column])] for s in scenarios])
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high - low < 1e-9 * max(1.0, abs(high)):
            low, high = low - 0.5, high + 0.5
        middle = (low + high) / 2
        for s, scenario in enumerate(scenarios):
            ax, table = axes[p][s], tables[scenario, column]
            cmap = plt.get_cmap(cmap_name).with_extremes(bad="lightgrey")
            mesh = ax.pcolormesh(_edges(xs), _edges(ys), np.ma.masked_invalid(table), cmap=cmap, shading="flat",
                                 vmin=low, vmax=high)
            fig.colorbar(mesh, ax=ax, label=label)
            if table.size <= 144:  # small grids: the number in each cell
                for i, j in zip(*np.nonzero(np.isfinite(table))):
                    shade = "white" if (table[i, j] < middle) == (cmap_name == "viridis") else "black"
                    ax.text(xs[j], ys[i], f"{table[i, j]:.4g}", ha="center", va="center", fontsize=7, color=shade)
            for i, j in zip(*np.nonzero(~np.isfinite(table))):
                ax.text(xs[j], ys[i], "×", ha="center", va="center", fontsize=8, color="dimgrey")
            if inside:  # the scenario as it is (shift 0, factor 1)
                ax.plot([neutral[0]], [neutral[1]], marker="o", ms=9, mfc="none", mec="red", mew=1.5,
                        label="the scenario as it is")
            ax.set_title(f"scenario {scenario}: {label.split(',')[0]}", fontsize=9)
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel(ylabel, fontsize=8)
    title = f"Sweep over {a} and {b}"
    if held:
        title += "\n(" + ", ".join(f"{c} held at {v:g}" for c, v in held.items()) + ")"
    if (rows["status"] != "optimal").any():
        title += "\ngrey cells (×): points with no optimal plan"
    if inside:
        title += "\nred circle: the scenario as it is"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _origin_label(column: str) -> str:
    return column[len("origin_"):-len("_kbd")].replace("_", " ").title()


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60]
