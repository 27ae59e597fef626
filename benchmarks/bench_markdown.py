"""Turn `elastictok bench` results (bench.json) into the Markdown tables of RESULTS.md.

Run: python benchmarks/bench_markdown.py LABEL=DIR/bench.json [LABEL=...] [--detail LABEL]

Prints one summary row per clip and run (PSNR at the model's largest k, BD-rate of the
elastic and fixed-k curves against x264, token savings per MSE threshold), then, with
--detail, every point, the savings and the BD-rates of that run, clip by clip.
Reads only the JSON, so tables can be redrawn long after the bench ran.
"""

from __future__ import annotations

import argparse
import json

POINT_HEADER = (
    "| curve | setting | bytes | bpp | PSNR dB | SSIM | tokens | enc s | dec s |\n"
    "|---|---|---|---|---|---|---|---|---|"
)
SAVINGS_HEADER = (
    "| MSE | tile-blocks meeting | elastic tokens | fixed-k tokens for the same share"
    " | savings | note |\n|---|---|---|---|---|---|"
)


def load(spec: str) -> tuple[str, dict]:
    """A LABEL=PATH argument as (label, document)."""
    label, sep, path = spec.partition("=")
    if not sep:
        raise SystemExit(f"expected LABEL=PATH, got {spec!r}")
    with open(path) as f:
        doc = json.load(f)
    if doc.get("schema") != "elastictok-bench/1":
        raise SystemExit(f"{path}: not an elastictok bench.json")
    return label, doc


def full_tokens_psnr(clip: dict, max_tokens: int) -> str:
    """PSNR of the fixed-k point at the model's largest k."""
    for p in clip["points"]:
        if p["curve"] == "fixed" and p["value"] == max_tokens and p["psnr"] is not None:
            return f"{p['psnr']:.2f} dB"
    return "-"


def bd(clip: dict, curve: str) -> str:
    """A curve's BD-rate against x264, or n/a."""
    for row in clip["bd_rate"]:
        if row["curve"] == curve:
            return "n/a" if row["percent"] is None else f"{row['percent']:+.0f}%"
    return "n/a"


def savings_cells(clip: dict) -> str:
    """Threshold: ratio pairs, '-' where there is no ratio."""
    cells = []
    for s in clip["token_savings"]:
        ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}x"
        cells.append(f"{s['threshold']:g}: {ratio}")
    return ", ".join(cells)


def summary(runs: list[tuple[str, dict]]) -> str:
    """One row per clip and run, clips in the first run's order."""
    lines = [
        "| clip | weights | PSNR at k = max | BD-rate vs x264: elastic / fixed |"
        " token savings by MSE threshold |",
        "|---|---|---|---|---|",
    ]
    names = [c["name"] for c in runs[0][1]["clips"]]
    for name in names:
        for label, doc in runs:
            clip = next((c for c in doc["clips"] if c["name"] == name), None)
            if clip is None:
                continue
            psnr = full_tokens_psnr(clip, doc["model"]["max_tokens"])
            lines.append(
                f"| {name} | {label} | {psnr} | {bd(clip, 'elastic')} / {bd(clip, 'fixed')} |"
                f" {savings_cells(clip)} |"
            )
    return "\n".join(lines)


def point_row(p: dict) -> str:
    """One encoded file as a table row."""
    value = f"{p['value']:g}" if isinstance(p["value"], float) else str(p["value"])
    psnr = "inf" if p["psnr"] is None else f"{p['psnr']:.2f}"
    share = "-" if p["token_share"] is None else f"{p['token_share']:.1%}"
    return (
        f"| {p['curve']} | {p['setting']} {value} | {p['bytes']:,} | {p['bpp']:.4f} | {psnr} |"
        f" {p['ssim']:.3f} | {share} | {p['encode_seconds']:.2f} | {p['decode_seconds']:.2f} |"
    )


def savings_row(s: dict) -> str:
    """One threshold of the paper's view."""
    fixed = "-" if s["fixed_token_share"] is None else f"{s['fixed_token_share']:.1%}"
    ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}x"
    return (
        f"| {s['threshold']:g} | {s['share_meeting']:.1%} | {s['elastic_token_share']:.1%} |"
        f" {fixed} | {ratio} | {s['note']} |"
    )


def detail(doc: dict) -> str:
    """Every clip's points, savings and BD-rates."""
    out = []
    for clip in doc["clips"]:
        w, h = clip["source_size"]
        out += [
            f"#### {clip['name']} ({w}x{h} source; first {clip['frames']} frames at"
            f" {clip['width']}x{clip['height']})",
            "",
            POINT_HEADER,
            *(point_row(p) for p in clip["points"]),
            "",
            SAVINGS_HEADER,
            *(savings_row(s) for s in clip["token_savings"]),
            "",
        ]
        rates = []
        for row in clip["bd_rate"]:
            value = f"{row['percent']:+.1f}%" if row["percent"] is not None else "n/a"
            note = f" ({row['note']})" if row["note"] and row["percent"] is None else ""
            rates.append(f"{row['curve']} {value}{note}")
        out += [f"BD-rate vs x264: {'; '.join(rates)}", ""]
        out += [f"Skipped: {s['codec']}: {s['reason']}" for s in clip.get("skipped", [])]
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    """Print the summary table and, if asked, one run's detailed tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", help="LABEL=DIR/bench.json")
    parser.add_argument("--detail", default=None, help="also print this run's detailed tables")
    args = parser.parse_args()
    runs = [load(spec) for spec in args.runs]
    print(summary(runs))
    if args.detail is not None:
        chosen = dict(runs).get(args.detail)
        if chosen is None:
            raise SystemExit(f"--detail {args.detail!r} names no run")
        print()
        print(detail(chosen))


if __name__ == "__main__":
    main()
