"""`elastictok encode`: parse flags, run the codec library, show progress and a summary."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from rich.table import Table

from elastictok_cli.cli.output import (
    ForceOption,
    JsonOption,
    ModelOption,
    QuietOption,
    err_console,
    fmt_db,
    out_console,
    print_json,
    progress_bar,
)
from elastictok_cli.errors import UsageError

UNDERSHOOT_NOTE = 0.03  # a size or bitrate file this far below its target gets a note

SEARCH_HELP = (
    "How to find each tile's k (default: the preset's): gallop (warm-started, fewest "
    "probes), predict (at most 3 batched passes plus a rescue), verify (probe a predicted "
    "k, move up where it misses), binary, linear (the paper's ~100 log-spaced candidates) "
    "or exhaustive."
)
PRESET_HELP = (
    "Speed against tokens: fast (each tile's k predicted and verified by one probe, no "
    "rescue), medium (default: warm-started gallop search, rescue capped at 12 probes per "
    "tile) or slow (~100 candidates per tile, full rescue, --optimize 10). --search, "
    "--rescue and --optimize override it."
)


def command(
    input: Annotated[str, typer.Argument(help="Video or image to encode; - reads standard input.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="The .etok file (default: INPUT.etok).")
    ] = None,
    mse: Annotated[
        float | None, typer.Option(help="Target MSE per tile and block, [-1, 1] scale [0.003].")
    ] = None,
    psnr: Annotated[float | None, typer.Option(help="Target PSNR in dB instead of --mse.")] = None,
    tokens: Annotated[
        int | None, typer.Option(help="Fixed number of tokens per tile and block: no search.")
    ] = None,
    model: ModelOption = None,
    preset: Annotated[str, typer.Option(help=PRESET_HELP)] = "medium",
    search: Annotated[str | None, typer.Option(help=SEARCH_HELP)] = None,
    fit: Annotated[
        str | None,
        typer.Option(help="resize or crop frames to the model's native size instead of tiling."),
    ] = None,
    rescue: Annotated[
        bool | None,
        typer.Option(
            help="When a tile misses the target at every k tried, probe all its k so no k "
            "that meets it is overlooked. --no-rescue keeps the closest k tried: much "
            "faster on content the model cannot reach, may miss a target a smaller k meets.",
        ),
    ] = None,
    rescue_within: Annotated[
        float,
        typer.Option(
            help="Rescue only tiles whose best distortion is within this factor of the target "
            "(default 1.25, about 1 dB); 'inf' sweeps every tile that misses.",
        ),
    ] = 1.25,
    optimize: Annotated[
        int | None,
        typer.Option(
            help="After the search, optimize each tile's tokens with this many gradient steps "
            "through the decoder, then try smaller k that still meet the target: fewer tokens "
            "(with --tokens: higher quality), slower encode (0: off; 10-25 steps take most "
            "of the gain). Decoding is unchanged.",
        ),
    ] = None,
    skip: Annotated[
        bool,
        typer.Option(
            help="Under --mse/--psnr, a tile whose block its last decoded frame already "
            "reproduces within the target (or, where the model could not reach the target, "
            "as well as its last coded block did) keeps no tokens (the file is format v2). "
            "--no-skip codes every tile. Never with --tokens.",
        ),
    ] = True,
    coding: Annotated[
        str,
        typer.Option(
            help="Token ids: context (range-coded against what the decoder already has, with "
            "the model's token tables; format v2), bitpack (format v1, as older readers "
            "expect) or auto (context when the model ships tables).",
        ),
    ] = "auto",
    lam: Annotated[
        float | None,
        typer.Option(
            "--lambda",
            help="Rate-distortion mode: each tile keeps the k (or skips) minimizing "
            "MSE + LAMBDA x its bits per pixel, bits as the file spends them.",
        ),
    ] = None,
    size: Annotated[
        str | None, typer.Option(help="Steer lambda so the file ends near this size (2M, 500k).")
    ] = None,
    bitrate: Annotated[
        str | None, typer.Option(help="Steer lambda to this many bits per second (300k).")
    ] = None,
    passes: Annotated[
        int,
        typer.Option(
            "--pass",
            help="With --size/--bitrate: 2 reads the whole input first and lands closer.",
        ),
    ] = 1,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Encode a video or image into an .etok file.

    Each block of frames is cut into the model's native tiles; every tile gets the
    fewest tokens that meet the quality target.

    Examples:

      elastictok encode clip.mp4 -o clip.etok

      elastictok encode photo.png --psnr 30

      elastictok encode clip.mp4 --mse 0.007 --optimize 10

      elastictok encode clip.mp4 --tokens 64 --optimize 10

      elastictok encode clip.mp4 --size 2M --pass 2

      ffmpeg -i in.mov -f yuv4mpegpipe - | elastictok encode - -o in.etok --tokens 128
    """
    from elastictok_cli import api
    from elastictok_cli.codec.eta import TimeLeft

    if output is None:
        if input == "-":
            raise UsageError("reading standard input needs -o OUT.etok")
        output = os.path.splitext(input)[0] + ".etok"
    # A killed encode's leftovers stay: they hold blocks `repair` can still recover.
    stale = api.stale_parts(output)
    if stale:
        err_console.print(
            f"[yellow]note:[/yellow] {len(stale)} leftover file(s) of a killed encode of "
            f"{output} ({os.path.basename(stale[0])}); `elastictok repair` recovers their blocks"
        )
    settings = api.encode_settings(
        mse=mse,
        psnr=psnr,
        tokens=tokens,
        preset=preset,
        search=search,
        fit=fit,
        rescue=rescue,
        rescue_within=rescue_within,
        optimize=optimize,
        skip=skip,
        coding=coding,
        lam=lam,
        size=size,
        bitrate=bitrate,
        passes=passes,
    )
    with progress_bar(quiet or json_output) as progress:
        task = progress.add_task("encode", total=None, rate="", left=None)
        clock = None

        def on_start(frames: int | None) -> None:
            nonlocal clock
            progress.update(task, total=frames)
            clock = TimeLeft(frames, time.perf_counter())

        def on_block(stats) -> None:
            rate = f"{stats.frames / stats.seconds:.1f} fps" if stats.seconds else ""
            left = clock.update(time.perf_counter(), stats.frames, stats.compile_seconds)
            progress.update(task, completed=stats.frames, rate=rate, left=left)

        summary = api.encode_to_file(
            input,
            output,
            model,
            settings=settings,
            force=force,
            on_start=on_start,
            on_block=on_block,
        )
    if json_output:
        print_json(summary)
    elif not quiet:
        _print_summary(summary)


def _print_summary(s: dict) -> None:
    """The human summary table."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("output", s["output"])
    table.add_row("model", f"{s['model']['name']} ({s['model']['sha256'][:12]})")
    table.add_row("frames", f"{s['frames']} in {s['blocks']} blocks of {s['tiles']} tiles")
    table.add_row(
        "tokens", f"{s['tokens']:,} of {s['max_tokens']:,} ({100 * s['token_fraction']:.1f}%)"
    )
    table.add_row("size", f"{s['bytes']:,} bytes, {s['bpp']:.4f} bits per pixel")
    table.add_row("quality", f"PSNR {fmt_db(s['psnr'])}, MSE {s['mse']:.5f} ([-1, 1] scale)")
    if s["search"] not in ("fixed", "rdo"):
        missed = s["tile_blocks_missing_target"]
        table.add_row("target", f"MSE {s['target']['mse']:.5f}; {missed} tile-blocks missed it")
        table.add_row(
            "skipped", f"{s['tile_blocks_skipped']:,} tile-blocks repeat their last frame"
        )
    if "rate" in s:
        lams = s["rate"]["lambda"]
        table.add_row("rate", f"{s['rate']['mode']}, lambda {min(lams):.3g} to {max(lams):.3g}")
    search = f"{s['search']}, {s['passes_per_block']:.2f} model passes per block"
    if s["optimize_steps"]:
        search += f"; tokens optimized with {s['optimize_steps']} steps"
    table.add_row("search", search)
    table.add_row("speed", f"{s['frames_per_second']:.2f} frames/s ({s['seconds']:.1f} s)")
    out_console.print(table)
    target = s.get("rate", {}).get("target_bytes")
    if target and s["bytes"] < (1 - UNDERSHOOT_NOTE) * target:
        below = 100 * (1 - s["bytes"] / target)
        err_console.print(
            f"[yellow]note:[/yellow] the file is {below:.0f}% below the target of {target:,} "
            "bytes: "
            + (
                "every tile already keeps the tokens that lower its distortion most"
                if s["rate"]["lambda_at_floor"]
                else "the controller spent less than planned"
            )
        )
    if s["search"] != "fixed" and s["tile_blocks_missing_target"]:
        err_console.print(
            "[yellow]note:[/yellow] some tiles miss the target even at the model's full length"
        )
