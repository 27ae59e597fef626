"""docs/API.md's examples and the README's run as written, against the shipped model."""

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "API.md"


def examples() -> list[str]:
    """The page's python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)


def test_the_page_has_examples():
    assert len(examples()) >= 8


def test_every_example_runs(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for number, code in enumerate(examples(), 1):
        try:
            exec(compile(code, f"{PAGE.name} example {number}", "exec"), scope)
        except Exception as err:  # the failing example's number, not just a traceback
            raise AssertionError(f"docs/API.md example {number} failed: {err!r}") from err
    printed = capsys.readouterr().out
    assert "96 6" in printed and "(2, 2, 256)" in printed and "60 24" in printed
    assert (tmp_path / "pan.etok").is_file() and (tmp_path / "pan.mkv").is_file()


def test_readme_example_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    scope: dict = {}
    exec(compile(code, "README.md example", "exec"), scope)
    assert scope["video"].shape == (8, 64, 64, 3)
