"""Scaled benchmark instances: Gulf-Coast-like refineries x crudes x units, ~4 thousand to ~1 million nonzeros.

    .venv/bin/python benchmarks/scaled_instances.py OUT_FOLDER xl     # write one size's instance

Every size is drawn by `tests/generate.py` (seeded): the flagship's kinds of refineries (crude capacity
80-600 kb/d, diet windows, sulfur plants), crudes priced off WTI/Brent/Dubai by API and sulfur with
API-driven cut yields, about 5 process units per refinery (vacuum, coker, FCC, reformer, hydrocracker,
DHT) with per-feed yields, eight products with specs, a recipe and a ratio, pipelines and docks with
routes, bans, caps, a floor and tariffs. Only the counts grow: the LP has about 13 nonzeros per
(refinery, crude) pair, so nonzeros grow with refineries x crudes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.generate import generate  # noqa: E402

SEED = 11
# name: (refineries, crudes); flagship-like shape at "s" (35 x 30 is the flagship's)
SIZES: dict[str, tuple[int, int]] = {
    "xs": (10, 20),
    "s": (35, 30),
    "m": (80, 120),
    "l": (140, 220),
    "xl": (200, 400),
}


def scaled_instance(folder: str | Path, size: str, seed: int = SEED) -> Path:
    """Write the instance of `size` (a key of SIZES) into `folder` and return the folder."""
    n_refineries, n_crudes = SIZES[size]
    return generate(folder, seed=seed, n_refineries=n_refineries, n_crudes=n_crudes)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in SIZES:
        sys.exit(f"usage: {sys.argv[0]} OUT_FOLDER {{{','.join(SIZES)}}}")
    print(scaled_instance(sys.argv[1], sys.argv[2]))
