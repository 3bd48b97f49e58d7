"""Peak memory of one run against its grid size, beside the estimate batches check.

    uv run python benchmarks/memory.py                          # 40, 100 and 300 (a minute)
    uv run python benchmarks/memory.py --sizes 40,100,300,600,1000   # about 12 minutes

Runs ``main.py run SCENARIO --days DAYS`` on square grids of each size, one fresh
process each, and prints its peak resident memory (``ru_maxrss`` of the child, as
``/usr/bin/time -v`` reports it) beside :func:`study.batch.memory.run_memory_bytes`.
The estimate must lie above every measurement; the numbers in study/batch/memory.py and
the README come from this script (Linux).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from study.batch.memory import MIB, run_memory_bytes  # noqa: E402


def peak_rss_bytes(command: list[str]) -> int:
    """Run ``command`` and return its peak resident memory in bytes (Linux: KiB x 1024)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"memory: {' '.join(command)} failed with status {process.returncode}")
    return usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40,100,300", help="grid sides, comma-separated")
    parser.add_argument("--scenario", default="donor")
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for side in tqdm(sizes, desc="grid sizes", unit="grid"):
            command = [sys.executable, str(ROOT / "main.py"), "run", args.scenario, "--quiet",
                       "--days", str(args.days), "--set", f"grid.width={side}",
                       "--set", f"grid.height={side}", "--out", out]  # fmt: skip
            rows.append((side, peak_rss_bytes(command)))
    print(f"{'grid':>10} {'sites':>10} {'peak RSS MiB':>13} {'estimate MiB':>13} {'ratio':>6}")
    for side, peak in rows:
        estimate = run_memory_bytes(side * side)
        print(
            f"{side:>4} x {side:<4}{side * side:>10,} {peak / MIB:>13.0f} "
            f"{estimate / MIB:>13.0f} {estimate / peak:>6.2f}"
        )


if __name__ == "__main__":
    main()
