"""`elastictok bench`: parse flags, run the bench library, print tables, write the files."""

from __future__ import annotations

import math
import os
from typing import Annotated

import typer
from rich.table import Table

from elastictok_cli.cli.output import (
    JsonOption,
    ModelOption,
    QuietOption,
    err_console,
    out_console,
    print_json,
    progress_bar,
)
from elastictok_cli.codec.search import DEFAULT_STRATEGY
from elastictok_cli.errors import UsageError


def _numbers(text: str | None, kind, flag: str) -> tuple | None:
    """'0.001,0.003' -> (0.001, 0.003); None stays None."""
    if text is None:
        return None
    try:
        values = tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"{flag} takes a comma-separated list of numbers, got {text!r}") from None
    if not values:
        raise UsageError(f"{flag} needs at least one value")
    return values


def command(
    inputs: Annotated[list[str], typer.Argument(help="Videos to benchmark.", show_default=False)],
    mse: Annotated[
        str | None,
        typer.Option(
            help="ElasticTok MSE thresholds, [-1, 1] scale [0.001,0.002,0.003,0.007,0.015]."
        ),
    ] = None,
    tokens: Annotated[
        str | None,
        typer.Option(help="Fixed token counts per tile and block [8 log-spaced, min to max]."),
    ] = None,
    lam: Annotated[
        str | None,
        typer.Option(
            "--lambda", help="Lambdas of the rdo curve (encode --lambda), comma-separated [none]."
        ),
    ] = None,
    v1: Annotated[
        bool,
        typer.Option(
            "--v1",
            help="Also encode the thresholds as format 1 files (bit-packed ids, no skipped "
            "tiles): the curve elastic-v1, whose BD-rate against x264 is the 'before'.",
        ),
    ] = False,
    codecs: Annotated[
        str, typer.Option(help="Classic codecs to compare, comma-separated; '' for none.")
    ] = "x264,x265,svtav1",
    crf: Annotated[
        str | None,
        typer.Option(help="CRF sweep for every classic codec [each codec's own sweep]."),
    ] = None,
    frames: Annotated[int, typer.Option(help="Frames from the start of each input; 0: all.")] = 32,
    resize: Annotated[
        str | None, typer.Option(help="Scale frames to WIDTHxHEIGHT first (e.g. 128x96).")
    ] = None,
    search: Annotated[str, typer.Option(help="ElasticTok k search strategy.")] = DEFAULT_STRATEGY,
    rescue: Annotated[
        bool,
        typer.Option(
            help="As in encode: sweep every k of a tile that misses the target at every k "
            "tried. --no-rescue is far faster on content the model cannot reach."
        ),
    ] = True,
    model: ModelOption = None,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Folder for bench.json, bench.csv and plots.")
    ] = "bench-results",
    keep_files: Annotated[
        bool, typer.Option(help="Keep every encoded file in OUT/files/CLIP/.")
    ] = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Rate-distortion benchmark: ElasticTok against fixed k and classic codecs.

    The same frames of every input go to ElasticTok at each MSE
    threshold, to the same model at fixed token counts, and to x264,
    x265 and SVT-AV1 at a CRF sweep (yuv420p). Bits come from the real
    files; each file is decoded back for PSNR (RGB, 0..255) and SSIM.

    Examples:

      elastictok bench clip.mp4 --frames 16 --resize 128x96 --out bench/

      elastictok bench a.mp4 b.mkv --mse 0.003,0.007 --codecs x264 --json
    """
    from elastictok_cli.bench import plots, report
    from elastictok_cli.bench.elastic import DEFAULT_MSE
    from elastictok_cli.bench.frames import parse_size
    from elastictok_cli.bench.metrics import require_bench_extra
    from elastictok_cli.bench.run import BenchPlan, check_inputs, run_bench
    from elastictok_cli.model import registry as model_registry

    require_bench_extra()
    files = os.path.join(out, "files") if keep_files else None
    plan = BenchPlan(
        mse=_numbers(mse, float, "--mse") or DEFAULT_MSE,
        tokens=_numbers(tokens, int, "--tokens"),
        codecs=tuple(c.strip() for c in codecs.split(",") if c.strip()),
        crfs=_numbers(crf, int, "--crf"),
        frames=frames,
        size=parse_size(resize),
        search=search,
        rescue=rescue,
        keep_files=files,
        lam=_numbers(lam, float, "--lambda") or (),
        v1=v1,
    )
    check_inputs(inputs)
    loaded = model_registry.load(model)
    total = plan.steps(loaded.config, len(inputs))
    os.makedirs(out, exist_ok=True)
    with progress_bar(quiet or json_output, unit="encodes") as progress:
        task = progress.add_task("bench", total=total, rate="")
        results = run_bench(
            inputs, loaded, plan, lambda what: progress.update(task, advance=1, rate=what)
        )
    doc = report.document(results, loaded, plan)
    report.write_json(doc, os.path.join(out, "bench.json"))
    report.write_csv(results, os.path.join(out, "bench.csv"))
    written = [os.path.join(out, "bench.json"), os.path.join(out, "bench.csv")]
    for result in results:
        written += plots.write_plots(result, out)
    doc["outputs"] = written
    if json_output:
        print_json(doc)
    elif not quiet:
        for clip in doc["clips"]:
            _print_clip(clip)
        out_console.print("wrote " + ", ".join(written))


def _fmt(value, spec: str, missing: str = "-") -> str:
    """A number for a table cell; None and non-finite values as `missing`."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    return format(value, spec)


def _print_clip(clip: dict) -> None:
    """The points table, then savings, BD-rates and skipped codecs of one clip."""
    title = f"{clip['name']}: {clip['frames']} frames at {clip['width']}x{clip['height']}"
    table = Table(title=title, title_justify="left")
    for name in ("curve", "setting", "bpp", "PSNR dB", "SSIM", "tokens", "enc s", "dec s"):
        table.add_column(name, justify="left" if name in ("curve", "setting") else "right")
    for p in clip["points"]:
        table.add_row(
            p["curve"],
            f"{p['setting']} {p['value']:g}",
            _fmt(p["bpp"], ".4f"),
            _fmt(p["psnr"], ".2f", "inf"),
            _fmt(p["ssim"], ".4f"),
            _fmt(p["token_share"] and 100 * p["token_share"], ".1f") + ("%" if p["tokens"] else ""),
            _fmt(p["encode_seconds"], ".2f"),
            _fmt(p["decode_seconds"], ".2f"),
        )
    out_console.print(table)
    savings = Table(title="token savings at equal share of tile-blocks meeting the threshold")
    for name in ("MSE", "meeting", "elastic tokens", "fixed-k tokens", "savings", "note"):
        savings.add_column(name)
    for s in clip["token_savings"]:
        savings.add_row(
            f"{s['threshold']:g}",
            _fmt(s["share_meeting"] * 100, ".1f") + "%",
            _fmt(s["elastic_token_share"] * 100, ".1f") + "%",
            _fmt(s["fixed_token_share"] and 100 * s["fixed_token_share"], ".1f")
            + ("%" if s["fixed_token_share"] is not None else ""),
            _fmt(s["ratio"], ".2f") + ("x" if s["ratio"] else ""),
            s["note"],
        )
    out_console.print(savings)
    for bd in clip["bd_rate"]:
        value = _fmt(bd["percent"], "+.1f", "n/a") + ("%" if bd["percent"] is not None else "")
        note = f" ({bd['note']})" if bd["note"] else ""
        out_console.print(f"BD-rate of {bd['curve']} vs {bd['anchor']}: {value}{note}")
    for skip in clip["skipped"]:
        err_console.print(f"[yellow]skipped {skip['codec']}:[/yellow] {skip['reason']}")
