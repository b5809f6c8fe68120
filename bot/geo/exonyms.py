"""Place names that differ between English, French and Dutch ("Liège" / "Luik"), by GeoNames
id: a member reads the name of a place in their own language, whatever they typed.

The offline city list knows many alternate names but not their languages, so the towns of
the organization's region where the names differ, and large cities elsewhere, are listed
here. A place missing from the list is named as the member typed it.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr", "nl")

# geoname id: (English, French, Dutch)
NAMES: dict[int, tuple[str, str, str]] = {
    2800866: ("Brussels", "Bruxelles", "Brussel"),
    2803138: ("Antwerp", "Anvers", "Antwerpen"),
    2797656: ("Ghent", "Gand", "Gent"),
    2800931: ("Bruges", "Bruges", "Brugge"),
    2792413: ("Liège", "Liège", "Luik"),
    2792482: ("Leuven", "Louvain", "Leuven"),
    2791537: ("Mechelen", "Malines", "Mechelen"),
    2790869: ("Mons", "Mons", "Bergen"),
    2790471: ("Namur", "Namur", "Namen"),
    2794055: ("Kortrijk", "Courtrai", "Kortrijk"),
    2785341: ("Tournai", "Tournai", "Doornik"),
    2795100: ("Ypres", "Ypres", "Ieper"),
    2789786: ("Ostend", "Ostende", "Oostende"),
    2803448: ("Aalst", "Alost", "Aalst"),
    2785389: ("Tongeren", "Tongres", "Tongeren"),
    2786545: ("Sint-Truiden", "Saint-Trond", "Sint-Truiden"),
    2796696: ("Halle", "Hal", "Halle"),
    2784604: ("Vilvoorde", "Vilvorde", "Vilvoorde"),
    2783941: ("Wavre", "Wavre", "Waver"),
    2790101: ("Nivelles", "Nivelles", "Nijvel"),
    2803073: ("Arlon", "Arlon", "Aarlen"),
    2801154: ("Braine-l'Alleud", "Braine-l’Alleud", "Eigenbrakel"),
    2786420: ("Soignies", "Soignies", "Zinnik"),
    2803010: ("Ath", "Ath", "Aat"),
    2790595: ("Mouscron", "Mouscron", "Moeskroen"),
    2789529: ("Oudenaarde", "Audenarde", "Oudenaarde"),
    2787769: ("Ronse", "Renaix", "Ronse"),
    2797638: ("Geraardsbergen", "Grammont", "Geraardsbergen"),
    2799645: ("Dendermonde", "Termonde", "Dendermonde"),
    2786578: ("Sint-Niklaas", "Saint-Nicolas", "Sint-Niklaas"),
    2792397: ("Lier", "Lierre", "Lier"),
    2785470: ("Tienen", "Tirlemont", "Tienen"),
    2784066: ("Waremme", "Waremme", "Borgworm"),
    2795113: ("Huy", "Huy", "Hoei"),
    2784548: ("Visé", "Visé", "Wezet"),
    2794895: ("Jodoigne", "Jodoigne", "Geldenaken"),
    2787889: ("Roeselare", "Roulers", "Roeselare"),
    2791343: ("Menen", "Menin", "Menen"),
    2784804: ("Veurne", "Furnes", "Veurne"),
    2790150: ("Nieuwpoort", "Nieuport", "Nieuwpoort"),
    2792567: ("Lessines", "Lessines", "Lessen"),
    2798747: ("Enghien", "Enghien", "Edingen"),
    2747373: ("The Hague", "La Haye", "Den Haag"),
    2747351: ("'s-Hertogenbosch", "Bois-le-Duc", "'s-Hertogenbosch"),
    2750053: ("Nijmegen", "Nimègue", "Nijmegen"),
    2751773: ("Leiden", "Leyde", "Leiden"),
    2755251: ("Groningen", "Groningue", "Groningen"),
    2745392: ("Vlissingen", "Flessingue", "Vlissingen"),
    2998324: ("Lille", "Lille", "Rijsel"),
    3020686: ("Dunkirk", "Dunkerque", "Duinkerke"),
    2988507: ("Paris", "Paris", "Parijs"),
    3029162: ("Calais", "Calais", "Kales"),
    3036784: ("Arras", "Arras", "Atrecht"),
    3029030: ("Cambrai", "Cambrai", "Kamerijk"),
    2971041: ("Valenciennes", "Valenciennes", "Valencijn"),
    3021000: ("Douai", "Douai", "Dowaai"),
    2982681: ("Roubaix", "Roubaix", "Robaais"),
    2972284: ("Tourcoing", "Tourcoing", "Toerkonje"),
    3031133: ("Boulogne-sur-Mer", "Boulogne-sur-Mer", "Bonen"),
    2977845: ("Saint-Omer", "Saint-Omer", "Sint-Omaars"),
    2973783: ("Strasbourg", "Strasbourg", "Straatsburg"),
    3247449: ("Aachen", "Aix-la-Chapelle", "Aken"),
    2886242: ("Cologne", "Cologne", "Keulen"),
    2867714: ("Munich", "Munich", "München"),
    2821164: ("Trier", "Trèves", "Trier"),
    2911298: ("Hamburg", "Hambourg", "Hamburg"),
    2925533: ("Frankfurt am Main", "Francfort-sur-le-Main", "Frankfurt am Main"),
    2950159: ("Berlin", "Berlin", "Berlijn"),
    2643743: ("London", "Londres", "Londen"),
    2650225: ("Edinburgh", "Édimbourg", "Edinburgh"),
    2960316: ("Luxembourg", "Luxembourg", "Luxemburg"),
    2660646: ("Geneva", "Genève", "Genève"),
    2661604: ("Basel", "Bâle", "Bazel"),
    2657896: ("Zurich", "Zurich", "Zürich"),
    2761369: ("Vienna", "Vienne", "Wenen"),
    3169070: ("Rome", "Rome", "Rome"),
    3164603: ("Venice", "Venise", "Venetië"),
    3173435: ("Milan", "Milan", "Milaan"),
    3172394: ("Naples", "Naples", "Napels"),
    2267057: ("Lisbon", "Lisbonne", "Lissabon"),
    3067696: ("Prague", "Prague", "Praag"),
    756135: ("Warsaw", "Varsovie", "Warschau"),
    524901: ("Moscow", "Moscou", "Moskou"),
    264371: ("Athens", "Athènes", "Athene"),
    2618425: ("Copenhagen", "Copenhague", "Kopenhagen"),
    3128760: ("Barcelona", "Barcelone", "Barcelona"),
    2510911: ("Seville", "Séville", "Sevilla"),
}


def name_in(geoname_id: int | None, language: str) -> str | None:
    """The place's name in `language`, if it is one whose name differs between languages."""
    names = NAMES.get(geoname_id) if geoname_id is not None else None
    if names is None or language not in LANGUAGES:
        return None
    return names[LANGUAGES.index(language)]
