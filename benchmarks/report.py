"""Benchmark (issue 14): `pmsync report` over the generated portfolios of benchmarks/check.py.

    python benchmarks/report.py [--sizes 100000 300000 1000000] [--stores DIR]

For each size it runs `pmsync report` in a fresh process over the same store
check.py generates (10 product lines: ten sprint reviews and the roadmap,
written as local HTML files; no page target) and reports its wall time
(loading, every rule, every report rendered and written), its peak memory, and
the size of the pages it wrote. Bounds as check.py's: at most ~linear growth,
<= 30 s and 2 GB at 1M items.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from check import bounds_met, prepare, run_pmsync, size_arguments


def measure(size: int, stores: Path | None = None) -> tuple[float, float, int, int, float]:
    folder = prepare(size, stores)
    pages = folder / "state" / "reports"
    shutil.rmtree(pages, ignore_errors=True)
    wall, mem, _, cpu = run_pmsync(folder, "report")
    written = sorted(pages.glob("*.html"))
    return wall, mem, len(written), sum(p.stat().st_size for p in written), cpu


def main() -> int:
    args = size_arguments()
    rows = []
    for size in args.sizes:
        start = time.perf_counter()
        wall, mem, files, size_bytes, cpu = measure(size, args.stores)
        rows.append((size, wall, mem))
        print(f"{size:>8} items + {size} links: report {wall:6.2f} s (CPU {cpu:.2f} s), "
              f"peak {mem:6.1f} MiB, "
              f"{files} pages, {size_bytes / 1024:.0f} KiB "
              f"(setup {time.perf_counter() - start - wall:.1f} s)", flush=True)
    return 0 if bounds_met(rows, "report") else 1


if __name__ == "__main__":
    sys.exit(main())
