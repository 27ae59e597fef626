"""PNG plots of one clip: PSNR against bits per pixel, and blocks meeting against tokens."""

from __future__ import annotations

import math
import os

from elastictok_cli.bench import curves
from elastictok_cli.bench.points import ELASTIC, ELASTIC_V1, FIXED, RDO
from elastictok_cli.bench.run import ClipResult
from elastictok_cli.metrics import psnr

STYLE = {  # curve -> (label, marker, colour); ElasticTok last, so it is drawn on top
    FIXED: ("same model, fixed k", "s", "C0"),
    "x264": ("x264", "^", "C2"),
    "x265": ("x265", "v", "C3"),
    "svtav1": ("SVT-AV1", "D", "C4"),
    ELASTIC_V1: ("ElasticTok (MSE threshold, format 1)", "x", "C7"),
    RDO: ("ElasticTok (lambda, rate-distortion)", "P", "C5"),
    ELASTIC: ("ElasticTok (MSE threshold)", "o", "C1"),
}


def _pyplot():
    """matplotlib with a file-only backend, imported only when plotting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ticker():
    """matplotlib's tick formatters (imported with the plotting backend)."""
    import matplotlib.ticker

    return matplotlib.ticker


def plot_rate_distortion(result: ClipResult, path: str) -> None:
    """PSNR (RGB) against bits per pixel, every curve."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=110)
    for name, (label, marker, colour) in STYLE.items():
        points = sorted(result.curve(name), key=lambda p: p.bpp)
        points = [p for p in points if math.isfinite(p.psnr)]
        if points:
            ax.plot(
                [p.bpp for p in points],
                [p.psnr for p in points],
                marker=marker,
                color=colour,
                label=label,
                markersize=8 if name == ELASTIC else 6,
                fillstyle="none" if name == ELASTIC else "full",
            )
    ax.set_xscale("log")
    # Plain numbers: bpp values read better as 0.05 than as 5 x 10^-2.
    ticker = _ticker()
    ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    # Label only the 2s and 5s of each decade: all nine run into each other ("0.060.070.08").
    ax.xaxis.set_minor_formatter(ticker.FuncFormatter(_two_and_five))
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("bits per pixel (real file sizes)")
    ax.set_ylabel("PSNR, RGB (dB)")
    clip = result.clip
    ax.set_title(f"{clip.name}: {clip.count} frames at {clip.width}x{clip.height}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path, plt)


def _two_and_five(value: float, _position) -> str:
    """A minor tick's label on a log axis: only at 2 and 5 times a power of ten."""
    if value <= 0:
        return ""
    lead = value / 10 ** math.floor(math.log10(value) + 1e-9)
    return f"{value:g}" if round(lead, 6) in (2.0, 5.0) else ""


def plot_meeting(result: ClipResult, path: str) -> None:
    """Per threshold: share of tile-blocks meeting it against share of max tokens."""
    plt = _pyplot()
    elastic = sorted(result.curve(ELASTIC), key=lambda p: p.value)
    fixed = result.curve(FIXED)
    if not elastic:
        return
    fig, axes = plt.subplots(
        1, len(elastic), figsize=(3.0 * len(elastic), 3.3), dpi=110, squeeze=False
    )
    for ax, point in zip(axes[0], elastic, strict=True):
        threshold = point.value
        if fixed:
            xs, ys = zip(*curves.fixed_meeting_curve(fixed, threshold), strict=True)
            ax.plot([100 * x for x in xs], [100 * y for y in ys], "s-", color="C0", label="fixed k")
        xs, ys = zip(*curves.elastic_meeting_curve(point, threshold), strict=True)
        ax.plot(
            [100 * x for x in xs], [100 * y for y in ys], "-", color="C1", label="elastic (budget)"
        )
        ax.plot([100 * xs[-1]], [100 * ys[-1]], "o", color="C1", label="elastic encode")
        db = psnr(threshold)
        ax.set_title(f"MSE {threshold:g} ({db:.1f} dB)", fontsize=9)
        ax.set_xlabel("% of max tokens", fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_ylim(-2, 102)
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("% of tile-blocks meeting", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path, plt)


def write_plots(result: ClipResult, folder: str) -> list[str]:
    """Both plots of a clip into `folder`; returns the files written."""
    written = []
    for suffix, plot in (("psnr-bpp", plot_rate_distortion), ("meeting", plot_meeting)):
        path = os.path.join(folder, f"{result.key}-{suffix}.png")
        plot(result, path)
        if os.path.exists(path):
            written.append(path)
    return written


def _save(fig, path: str, plt) -> None:
    """Save atomically and free the figure."""
    temp = path + ".part.png"
    fig.savefig(temp)
    plt.close(fig)
    os.replace(temp, path)
