"""Shared fixtures: paths of the shipped instances and a scratch copy of one to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"


@pytest.fixture
def copy_instance(tmp_path):
    """copy_instance("toy_two_crudes") -> a writable copy of that instance folder."""

    def make(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(INSTANCES / name, target)
        return target

    return make
