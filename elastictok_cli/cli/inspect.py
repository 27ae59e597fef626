"""`elastictok inspect`: a container's header, blocks and token use; needs no model, no JAX."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from elastictok_cli import metrics
from elastictok_cli.cli.output import JsonOption, out_console, print_json

BARS = " ▁▂▃▄▅▆▇█"
MAX_ROWS = 40
TILE_COLUMN = 60  # characters of per-tile counts in a row; the rest is counted, not cut
OTHER_COLUMNS = 48  # block, bytes, tokens, worst MSE and PSNR with their gaps


def command(
    input: Annotated[str, typer.Argument(help="The .etok file to inspect.")],
    json_output: JsonOption = False,
    all_blocks: Annotated[
        bool, typer.Option("--all", help=f"List every block, not only the first {MAX_ROWS}.")
    ] = False,
) -> None:
    """Show an .etok file's header, blocks and token use (no model needed).

    A damaged file shows every readable block, marks the damaged ones and exits 3.

    Examples:

      elastictok inspect clip.etok

      elastictok inspect clip.etok --json | jq .totals
    """
    from elastictok_cli.api import inspect
    from elastictok_cli.container import ContainerError
    from elastictok_cli.container.report import describe_salvaged

    try:
        report = inspect(input)
    except ContainerError as err:
        # The index cannot be trusted: find the blocks by scanning (fails without a header).
        report = describe_salvaged(input, str(err))
    if json_output:
        print_json(report)
    else:
        _print_report(report, all_blocks)
    damaged = report["damaged_blocks"]
    noun = "block" if len(damaged) == 1 else "blocks"
    problems = [f"{len(damaged)} damaged {noun} ({_listed(damaged)})"] if damaged else []
    problems += [report["file_damage"]] if report["file_damage"] else []
    if problems:
        # Exit 3 after the report, so a script still sees everything readable.
        raise ContainerError(
            f"{input}: {'; '.join(problems)}; `elastictok repair` keeps the intact blocks"
        )


def _listed(indices: list[int], most: int = 10) -> str:
    """Block numbers for one line, the first `most` of them."""
    shown = ", ".join(map(str, indices[:most]))
    return shown + (f" and {len(indices) - most} more" if len(indices) > most else "")


def sparkline(values: list[float], width: int) -> str:
    """Values in [0, 1] as a row of block characters, averaged down to `width` columns."""
    if not values:
        return ""
    columns = min(width, len(values))
    out = []
    for c in range(columns):
        part = values[c * len(values) // columns : (c + 1) * len(values) // columns] or [0.0]
        level = sum(part) / len(part)
        out.append(BARS[min(len(BARS) - 1, math.ceil(level * (len(BARS) - 1)))])
    return "".join(out)


def tile_counts(tokens: list, width: int = TILE_COLUMN) -> str:
    """Per-tile token counts, whole numbers only, then how many tiles did not fit."""
    text = " ".join(map(str, tokens))
    if len(text) <= width:
        return text
    shown = 0
    # Keep adding counts while the rest still fits as "+N more" after them.
    while (
        len(" ".join(map(str, tokens[: shown + 1])) + f" +{len(tokens) - shown - 1} more") <= width
    ):
        shown += 1
    return " ".join([*map(str, tokens[:shown]), f"+{len(tokens) - shown} more"])


def _labels(block: dict) -> list[str]:
    """Each tile's count, or `s` for a skipped tile (it repeats its last frame)."""
    skipped = set(block.get("skipped", ()))
    return ["s" if tile in skipped else str(n) for tile, n in enumerate(block["tokens"])]


def _print_report(r: dict, all_blocks: bool) -> None:
    """Render the report for people."""
    v, t, e, m = r["video"], r["totals"], r["encode"], r["model"]
    out_console.print(f"[bold]{r['file']['path']}[/bold]  (.etok format {r['format_version']})")
    # 12 hex digits, as `encode` and `models` show them; --json carries the whole hash.
    out_console.print(f"model   {m['name']}  sha256 {m['sha256'][:12]}")
    c = m["config"]
    out_console.print(
        f"        tile {c['tile_size'][1]}x{c['tile_size'][0]}, {c['frames_per_block']} frames "
        f"per block, k in {c['min_tokens']}..{c['max_tokens']}, FSQ {c['fsq_levels']}"
    )
    out_console.print(
        f"video   {v['width']}x{v['height']}, {v['fps']} fps, {v['frames']} frames, "
        f"{v['blocks']} blocks of {v['tiles_x']}x{v['tiles_y']} tiles"
    )
    passes = f", {e['passes']} pass{'es' if e['passes'] > 1 else ''}" if e.get("passes") else ""
    out_console.print(
        f"encode  {e.get('metric')} target {e.get('target', e.get('threshold'))}{passes}, "
        f"search {e.get('search')}, tool {e.get('tool_version')}"
    )
    coding = r["coding"]
    tables = f" (tables {coding['token_tables'][:12]})" if coding["token_tables"] else ""
    skips = f"; {t['skipped']:,} tile-blocks skipped (shown as s)" if t["skipped"] else ""
    out_console.print(f"coding  {coding['token_coding']}{tables}{skips}")
    share = t["tokens"] / t["max_tokens"] if t["max_tokens"] else 0.0
    out_console.print(
        f"tokens  {t['tokens']:,} of {t['max_tokens']:,} ({100 * share:.1f}%), "
        f"{t['bytes']:,} bytes, {t['bpp']:.4f} bpp"
    )
    per_block = v["tiles_x"] * v["tiles_y"] * c["max_tokens"]
    fractions = [sum(b.get("tokens", ())) / per_block for b in r["blocks"]]
    # One width for the chart and the table: the console's (80 columns in a pipe).
    width = max(10, out_console.width - 12)
    out_console.print(f"use     [cyan]{sparkline(fractions, width)}[/cyan]")
    out_console.print("        token use per block over time (full height = every token)")
    # Narrow consoles get fewer counts rather than wrapped rows.
    tile_width = max(12, min(TILE_COLUMN, out_console.width - OTHER_COLUMNS))
    # Rate-controlled files add each block's lambda (the price of a bit in MSE per bpp).
    lambdas = any("lambda" in b for b in r["blocks"])
    columns = ("block", "bytes", "tokens", "per tile", "worst MSE", "PSNR")
    table = Table(*columns, *(("lambda",) if lambdas else ()), box=None)
    rows = r["blocks"] if all_blocks else r["blocks"][:MAX_ROWS]
    for b in rows:
        if b.get("damaged"):
            table.add_row(str(b["index"]), "", "[red]damaged[/red]", escape(b["reason"]), "", "")
            continue
        lam = (f"{b['lambda']:.2g}" if "lambda" in b else "",) if lambdas else ()
        worst = max(b["distortion"])
        mean = sum(b["distortion"]) / len(b["distortion"])
        db = metrics.psnr(mean)
        psnr = "inf" if math.isinf(db) else f"{db:.2f}"
        table.add_row(
            str(b["index"]),
            f"{b['bytes']:,}",
            str(sum(b["tokens"])),
            tile_counts(_labels(b), tile_width),
            f"{worst:.5f}",
            psnr,
            *lam,
        )
    out_console.print(table)
    if len(rows) < len(r["blocks"]):
        out_console.print(f"... {len(r['blocks']) - len(rows)} more blocks (use --all)")
