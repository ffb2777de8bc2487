"""German regions, towns, streets and names for fake customers.

Everything here is invented or generic: the people do not exist, streets carry
common names, e-mail addresses use example.de and phone numbers a 555 block.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Price level of each Bundesland relative to the national average; part of the
# demo pricing rule (see handwerkml.demo.generator).
REGION_FACTORS: dict[str, float] = {
    "Baden-Württemberg": 1.10,
    "Bayern": 1.12,
    "Berlin": 1.04,
    "Brandenburg": 0.93,
    "Bremen": 1.00,
    "Hamburg": 1.12,
    "Hessen": 1.06,
    "Mecklenburg-Vorpommern": 0.88,
    "Niedersachsen": 0.98,
    "Nordrhein-Westfalen": 1.02,
    "Rheinland-Pfalz": 0.99,
    "Saarland": 0.96,
    "Sachsen": 0.92,
    "Sachsen-Anhalt": 0.88,
    "Schleswig-Holstein": 1.00,
    "Thüringen": 0.91,
}

# (town, first postal code of the town, telephone area code)
TOWNS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "Baden-Württemberg": (
        ("Stuttgart", 70173, "711"),
        ("Karlsruhe", 76131, "721"),
        ("Freiburg im Breisgau", 79098, "761"),
        ("Ulm", 89073, "731"),
    ),
    "Bayern": (
        ("München", 80331, "89"),
        ("Nürnberg", 90402, "911"),
        ("Augsburg", 86150, "821"),
        ("Regensburg", 93047, "941"),
        ("Würzburg", 97070, "931"),
        ("Rosenheim", 83022, "8031"),
    ),
    "Berlin": (("Berlin", 10115, "30"),),
    "Brandenburg": (("Potsdam", 14467, "331"), ("Cottbus", 3046, "355")),
    "Bremen": (("Bremen", 28195, "421"), ("Bremerhaven", 27568, "471")),
    "Hamburg": (("Hamburg", 20095, "40"),),
    "Hessen": (
        ("Frankfurt am Main", 60311, "69"),
        ("Wiesbaden", 65183, "611"),
        ("Kassel", 34117, "561"),
        ("Darmstadt", 64283, "6151"),
    ),
    "Mecklenburg-Vorpommern": (("Rostock", 18055, "381"), ("Schwerin", 19053, "385")),
    "Niedersachsen": (
        ("Hannover", 30159, "511"),
        ("Braunschweig", 38100, "531"),
        ("Osnabrück", 49074, "541"),
        ("Oldenburg", 26122, "441"),
    ),
    "Nordrhein-Westfalen": (
        ("Köln", 50667, "221"),
        ("Düsseldorf", 40213, "211"),
        ("Dortmund", 44135, "231"),
        ("Essen", 45127, "201"),
        ("Münster", 48143, "251"),
        ("Bielefeld", 33602, "521"),
    ),
    "Rheinland-Pfalz": (
        ("Mainz", 55116, "6131"),
        ("Koblenz", 56068, "261"),
        ("Trier", 54290, "651"),
    ),
    "Saarland": (("Saarbrücken", 66111, "681"),),
    "Sachsen": (("Dresden", 1067, "351"), ("Leipzig", 4109, "341"), ("Chemnitz", 9111, "371")),
    "Sachsen-Anhalt": (("Magdeburg", 39104, "391"), ("Halle (Saale)", 6108, "345")),
    "Schleswig-Holstein": (("Kiel", 24103, "431"), ("Lübeck", 23552, "451")),
    "Thüringen": (("Erfurt", 99084, "361"), ("Jena", 7743, "3641"), ("Weimar", 99423, "3643")),
}

FIRST_NAMES = (
    "Anna", "Andreas", "Birgit", "Christian", "Claudia", "Daniel", "Elke", "Emma", "Felix",
    "Frank", "Gabriele", "Hannah", "Heike", "Jan", "Jonas", "Julia", "Jürgen", "Katrin",
    "Klaus", "Laura", "Lena", "Lukas", "Marie", "Markus", "Martina", "Michael", "Monika",
    "Niklas", "Paul", "Petra", "Ralf", "Sabine", "Sandra", "Sebastian", "Sophie", "Stefan",
    "Susanne", "Thomas", "Tobias", "Ute", "Uwe", "Werner",
)  # fmt: skip

LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann",
    "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier",
    "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters",
    "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich", "Keller",
)  # fmt: skip

STREETS = (
    "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße",
    "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Am Sportplatz", "Mühlenweg",
    "Birkenweg", "Rosenstraße", "Feldweg", "Ahornweg", "Am Anger", "Wiesenstraße",
    "Eichendorffstraße", "Goethestraße", "Schillerstraße", "Uhlandstraße", "Buchenweg",
)  # fmt: skip

COMPANY_SUFFIXES = (
    "Immobilien GmbH",
    "Hausverwaltung",
    "Bauträger GmbH",
    "& Söhne KG",
    "Wohnbau eG",
    "Praxis",
)

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-", "&": "und"})


@dataclass(frozen=True, slots=True)
class CustomerSpec:
    name: str
    street: str
    postal_code: str
    city: str
    email: str
    phone: str


def pick_region(rng: random.Random, home: str, home_share: float) -> str:
    """The home region most of the time, any other Bundesland otherwise."""
    if rng.random() < home_share:
        return home
    return rng.choice(sorted(REGION_FACTORS))


def fake_customer(rng: random.Random, region: str, serial: int) -> CustomerSpec:
    town, first_code, area_code = rng.choice(TOWNS[region])
    last = rng.choice(LAST_NAMES)
    if rng.random() < 0.15:
        name = f"{last} {rng.choice(COMPANY_SUFFIXES)}"
        local = name.lower()
    else:
        first = rng.choice(FIRST_NAMES)
        name = f"{first} {last}"
        local = f"{first}.{last}".lower()
    # The serial keeps addresses unique, so customers can be told apart in searches.
    email = f"{local.translate(_UMLAUTS)}.{serial}@example.de"
    return CustomerSpec(
        name=name,
        street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        postal_code=f"{first_code + rng.randint(0, 60):05d}",
        city=town,
        email=email,
        phone=f"+49 {area_code} 555{rng.randint(1000, 9999)}",
    )
