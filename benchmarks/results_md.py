"""benchmarks/RESULTS.md: each benchmark script owns one section between its start and end markers."""

from __future__ import annotations

import os
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(table: str, start: str, end: str) -> None:
    """Put `table` (which begins with `start` and ends with `end`) in place of that section, or after the rest
    if the file has none yet. The file is replaced in one step, so an interrupted run leaves the old one."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: table, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    staging = RESULTS.with_name(f".{RESULTS.name}.tmp")
    staging.write_text(text)
    os.replace(staging, RESULTS)
    print(f"written to {RESULTS}")
