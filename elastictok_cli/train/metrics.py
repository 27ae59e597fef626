"""The run's metrics file: one JSON object per line, appended as training goes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Append records to `workdir/metrics.jsonl`; records carry a `kind` and a `step`."""

    def __init__(self, workdir: Path, enabled: bool = True):
        """Open the log; `enabled` is False on every process but the first."""
        self.path = Path(workdir) / METRICS_FILE
        self.enabled = enabled

    def rewind(self, step: int) -> None:
        """Drop records after `step`: a resumed run redoes those steps and logs them again.

        A run killed after its last checkpoint logged steps it will repeat; keeping both
        would show every such step twice. A torn last line (killed mid-write) goes too.
        """
        if not self.enabled or not self.path.exists():
            return
        kept = [r for r in read_records(self.path) if r.get("step", 0) <= step]
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
        os.replace(tmp, self.path)

    def write(self, kind: str, step: int, **values) -> dict:
        """Append one record (with a wall-clock time) and return it."""
        record = {"kind": kind, "step": step, "time": round(time.time(), 3), **values}
        if self.enabled:
            with open(self.path, "a") as handle:
                handle.write(json.dumps(record) + "\n")
        return record


def read_records(path: Path, kind: str | None = None) -> list[dict]:
    """Every complete record of a metrics file, optionally of one kind."""
    records = []
    if not Path(path).exists():
        return records
    for line in Path(path).read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line torn by a kill mid-write
        if kind is None or record.get("kind") == kind:
            records.append(record)
    return records
