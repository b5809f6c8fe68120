"""Latency and resident memory of the place gazetteer, against a plain dict baseline.

    python benchmarks/bench_places.py [--cache-dir DIR]

Figures are printed as "BENCH <name> <value> <unit>" lines; everything else is commentary.
Memory is measured in fresh child processes, so building the index (which parses the whole
GeoNames JSON) does not inflate the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEARCH_LOOKUPS = 20_000
NEAREST_LOOKUPS = 5_000
SEARCH_P99_TARGET_MS = 2.0
INDEX_RSS_TARGET_MB = 30.0

# What users type: English, French and Dutch names, ambiguous names, typos and nonsense.
QUERIES = [
    "Brussels", "Bruxelles", "Brussel", "London", "Londres", "The Hague", "La Haye",
    "Den Haag", "'s-Gravenhage", "Amsterdam", "Antwerp", "Anvers", "Antwerpen", "Liège",
    "Luik", "Ghent", "Gand", "Gent", "Cologne", "Keulen", "Montréal", "Montreal", "Paris",
    "Bergen", "Lille", "Rijsel", "Springfield", "Saint-Étienne", "Xyzzyville", "Brusels",
    "nowhere at all", "Mechelen", "Malines",
]  # fmt: skip

# Rough land boxes (min_lat, max_lat, min_lon, max_lon) for Europe and North America.
REGIONS = [(36.0, 60.0, -10.0, 30.0), (25.0, 55.0, -125.0, -65.0)]


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.4g} {unit}", flush=True)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(sorted_ns: Sequence[int], q: float) -> float:
    """The q-quantile (nearest rank) of sorted nanosecond timings, in milliseconds."""
    return sorted_ns[round(q * (len(sorted_ns) - 1))] / 1e6


def timed(func: Callable[..., object], calls: Sequence[tuple[object, ...]]) -> list[int]:
    timings = []
    for args in calls:
        start = time.perf_counter_ns()
        func(*args)
        timings.append(time.perf_counter_ns() - start)
    timings.sort()
    return timings


def search_calls() -> list[tuple[object, ...]]:
    rng = random.Random(42)
    return [(rng.choice(QUERIES),) for _ in range(SEARCH_LOOKUPS)]


def nearest_calls() -> list[tuple[object, ...]]:
    rng = random.Random(43)
    calls: list[tuple[object, ...]] = []
    for _ in range(NEAREST_LOOKUPS):
        min_lat, max_lat, min_lon, max_lon = rng.choice(REGIONS)
        calls.append((rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)))
    return calls


def measure_index(cache_dir: Path) -> None:
    searches, points = search_calls(), nearest_calls()
    before = rss_mb()
    from bot.geo.gazetteer import Gazetteer

    places = Gazetteer.open(cache_dir)
    search = timed(places.search, searches)
    nearest = timed(places.nearest, points)
    after = rss_mb()
    places.close()
    bench("places.search.p50", percentile(search, 0.50), "ms")
    bench("places.search.p99", percentile(search, 0.99), "ms")
    bench("places.nearest.p50", percentile(nearest, 0.50), "ms")
    bench("places.nearest.p99", percentile(nearest, 0.99), "ms")
    bench("places.index.rss", after - before, "MB")
    print(f"  (process RSS {before:.1f} MB before opening, {after:.1f} MB after the lookups)")


def measure_baseline(cache_dir: Path) -> None:
    searches = search_calls()
    before = rss_mb()
    import sqlite3

    from bot.geo.gazetteer import index_path, normalize_name

    # The same names and ids as the index, held as a plain dict.
    names: dict[str, list[int]] = {}
    uri = f"{index_path(cache_dir).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        for name, geoname_id in db.execute("SELECT name, geoname_id FROM place_name"):
            names.setdefault(name, []).append(geoname_id)

    def lookup(text: str) -> list[int]:
        return names.get(normalize_name(text), [])

    search = timed(lookup, searches)
    after = rss_mb()
    bench("places.baseline_dict.search.p50", percentile(search, 0.50), "ms")
    bench("places.baseline_dict.search.p99", percentile(search, 0.99), "ms")
    bench("places.baseline_dict.rss", after - before, "MB")


def ensure_index(cache_dir: Path) -> Path:
    from bot.geo.gazetteer import Gazetteer, index_path

    path = index_path(cache_dir)
    existed = path.is_file()
    start = time.perf_counter()
    Gazetteer.open(cache_dir).close()
    if not existed:
        bench("places.build.time", time.perf_counter() - start, "s")
        # ru_maxrss is in KiB on Linux.
        bench(
            "places.build.peak_rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB"
        )
    bench("places.index.file_size", path.stat().st_size / 2**20, "MB")
    print(f"  (index: {path})")
    return path


def run_child(mode: str, cache_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", mode, "--cache-dir", str(cache_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    print(result.stdout, end="", flush=True)
    return result.stdout


def figure(output: str, name: str) -> float:
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["BENCH", name]:
            return float(parts[2])
    raise LookupError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help="index directory (default: the bot's)")
    parser.add_argument("--measure", choices=["index", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cache_dir is None:
        from bot.geo.gazetteer import default_cache_dir

        args.cache_dir = default_cache_dir()
    if args.measure == "index":
        measure_index(args.cache_dir)
        return
    if args.measure == "baseline":
        measure_baseline(args.cache_dir)
        return

    ensure_index(args.cache_dir)
    index = run_child("index", args.cache_dir)
    run_child("baseline", args.cache_dir)
    search_p99 = figure(index, "places.search.p99")
    rss = figure(index, "places.index.rss")
    print(
        f"search p99 {search_p99:.3f} ms (target <= {SEARCH_P99_TARGET_MS} ms): "
        f"{'ok' if search_p99 <= SEARCH_P99_TARGET_MS else 'MISSED'}; "
        f"index RSS {rss:.1f} MB (target <= {INDEX_RSS_TARGET_MB} MB): "
        f"{'ok' if rss <= INDEX_RSS_TARGET_MB else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
