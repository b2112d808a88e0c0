"""The README's table reference is generated from the schema the validator uses; they must agree."""

from optimizer.docs import with_schema

from .conftest import ROOT


def test_readme_tables_match_the_schema():
    readme = (ROOT / "README.md").read_text()
    assert readme == with_schema(readme), "README.md is stale: run `make docs`"


def test_quickstart_is_the_two_make_commands():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = [line.strip() for line in quickstart.splitlines() if line.startswith("    ")]
    assert commands == ["make run", "make test"]
