"""`elastictok decode`: parse flags, run the codec library, show progress."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from elastictok_cli.cli.output import (
    ForceOption,
    JsonOption,
    ModelOption,
    QuietOption,
    err_console,
    out_console,
    print_json,
    progress_bar,
)


def command(
    input: Annotated[str, typer.Argument(help="The .etok file to decode.")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="OUT.mp4 (h264), .mkv (ffv1, lossless), .y4m, .png (one image) or a folder/ "
            "of PNG frames. Default: INPUT.mp4, or INPUT.png for an image.",
        ),
    ] = None,
    model: ModelOption = None,
    codec: Annotated[
        str | None, typer.Option(help="Video codec for .mp4/.mkv (h264, h265, ffv1).")
    ] = None,
    conceal: Annotated[
        bool,
        typer.Option(
            "--conceal",
            help="Decode through damaged or missing blocks: each repeats its tiles' last good "
            "frame (grey before any), so the frame count and timing stay; they are listed "
            "on stderr.",
        ),
    ] = False,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Decode an .etok file back to video or images.

    The output has the original width, height, frame rate and frame count.

    Examples:

      elastictok decode clip.etok -o clip.mp4

      elastictok decode clip.etok -o frames/

      elastictok decode clip.etok -o clip.mkv --force

      elastictok decode damaged.etok -o clip.mp4 --conceal
    """
    from elastictok_cli import api
    from elastictok_cli.container.salvage import Salvage

    if output is None:
        # Only the header is read here; decode_to_file checks the whole file.
        if conceal:
            with Salvage(input) as salvage:  # the index of a damaged file is not needed
                frames = salvage.header.video.frames
        else:
            frames = api.read_header(input).video.frames
        output = os.path.splitext(input)[0] + (".png" if frames == 1 else ".mp4")
    with progress_bar(quiet or json_output) as progress:
        task = progress.add_task("decode", total=None, rate="")

        def on_frame(done: int, seconds: float) -> None:
            rate = f"{done / seconds:.1f} fps" if seconds else ""
            progress.update(task, completed=done, rate=rate)

        facts = api.decode_to_file(
            input,
            output,
            model,
            codec=codec,
            force=force,
            on_start=lambda frames: progress.update(task, total=frames),
            on_frame=on_frame,
            conceal=conceal,
        )
    if facts.get("concealed"):
        concealed = facts["concealed"]
        shown = ", ".join(map(str, concealed[:20])) + (" ..." if len(concealed) > 20 else "")
        err_console.print(
            f"[yellow]note:[/yellow] concealed {len(concealed)} damaged or missing blocks: {shown}"
        )
    if json_output:
        print_json(facts)
    elif not quiet:
        out_console.print(
            f"wrote {facts['output']}: {facts['frames']} frames of "
            f"{facts['width']}x{facts['height']} at {facts['fps']} fps "
            f"({facts['frames_per_second']:.1f} frames/s)"
        )
