"""Great-circle helpers shared by place and chapter lookups."""

from __future__ import annotations

import math

# IUGG mean Earth radius; the error against the ellipsoid stays well under 0.5 %.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min() guards against rounding pushing a just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """Smallest latitude/longitude box holding every point within radius_km of (lat, lon).

    Returns (min_lat, max_lat, min_lon, max_lon) in degrees. Latitudes are clamped at the
    poles; if the circle reaches a pole every longitude is inside, so the box spans
    -180..180. Longitudes are not wrapped: min_lon < -180 or max_lon > 180 means the box
    crosses the antimeridian and the caller has to split it or search more widely.
    """
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    # The widest longitude reached by the circle is not at the centre's latitude, so a
    # plain dlat / cos(lat) would be slightly too narrow; this is the exact tangent form.
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    return min_lat, max_lat, lon - dlon, lon + dlon
