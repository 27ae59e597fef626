"""The on-disk compilation cache: where it goes, how to turn it off, and that it changes no byte."""

import os
from fractions import Fraction

from support.cli import run_cli
from support.clips import moving_clip, write_with_pyav
from support.models import make_model_folder

from elastictok_cli.cli.compile_cache import cache_folder, enable


def test_the_default_folder_follows_xdg_and_can_be_turned_off(tmp_path):
    assert cache_folder({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "elastictok" / "xla"
    assert cache_folder({"ELASTICTOK_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c"
    env = {"ELASTICTOK_CACHE_DIR": "off"}
    assert enable(env) is None and "JAX_COMPILATION_CACHE_DIR" not in env


def test_enable_creates_the_folder_and_tells_jax(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    folder = enable(env)
    assert folder.is_dir() and env["JAX_COMPILATION_CACHE_DIR"] == str(folder)


def test_a_folder_the_user_gave_jax_wins(tmp_path):
    env = {"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "mine"), "XDG_CACHE_HOME": str(tmp_path)}
    assert enable(env) == tmp_path / "mine"
    assert not (tmp_path / "elastictok").exists()


def test_a_cache_that_cannot_be_made_is_skipped_not_fatal(tmp_path):
    (tmp_path / "file").write_text("in the way")
    env = {"ELASTICTOK_CACHE_DIR": str(tmp_path / "file" / "xla")}
    assert enable(env) is None and "JAX_COMPILATION_CACHE_DIR" not in env


def test_a_warm_cache_gives_the_same_bytes_as_a_cold_one(tmp_path):
    model = make_model_folder(tmp_path / "tiny")
    clip = write_with_pyav(tmp_path / "clip.mp4", moving_clip(6, 24, 40), fps=Fraction(25))
    env = {**os.environ, "ELASTICTOK_CACHE_DIR": str(tmp_path / "cache")}
    outputs = []
    for name in ("cold", "warm"):
        out = tmp_path / f"{name}.etok"
        result = run_cli("encode", clip, "-o", out, "--model", model, "--mse", 0.6, env=env)
        assert result.returncode == 0, result.stderr.decode()
        outputs.append(out.read_bytes())
        if name == "cold":
            assert any((tmp_path / "cache").iterdir()), "the first run stored nothing"
    assert outputs[0] == outputs[1]
