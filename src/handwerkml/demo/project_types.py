"""The demo project types: size, pricing constants and German text templates.

Each profile holds what the generator needs to invent a plausible project of that
type: an area range, the base price per m² and labour hours per m² of the pricing
rule, the woods it is built from, the material categories it consumes, and
templates for names and descriptions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

WOOD_ADJECTIVES = {
    "Eiche": "Eichen",
    "Nussbaum": "Nussbaum",
    "Kiefer": "Kiefern",
    "Esche": "Eschen",
    "Fichte": "Fichten",
    "Buche": "Buchen",
    "Ahorn": "Ahorn",
    "Lärche": "Lärchen",
}

Describer = Callable[[random.Random, str | None, int, float], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class TypeProfile:
    name: str
    area_range: tuple[float, float]
    base_per_sqm: float
    hours_per_sqm: float
    woods: tuple[str, ...]
    # The first category is the type's main material; the others are added at random.
    categories: tuple[str, ...]
    describe: Describer
    # Words naming the main material, e.g. the Landhausdiele of a parquet floor.
    main_materials: tuple[str, ...] = ()


def _extras(rng: random.Random, complexity: int, options: tuple[str, ...]) -> str:
    """Harder projects come with more special wishes, which show in the text."""
    if complexity <= 2:
        return rng.choice(("Standardausführung", "einfache Ausführung", "nach Katalogmaß"))
    count = min(complexity - 2, len(options))
    return ", ".join(rng.sample(options, count))


def _n(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _stairs(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    adjective = WOOD_ADJECTIVES[wood or "Eiche"]
    form = rng.choice(
        ("mit Podest", "viertelgewendelt", "halbgewendelt", "gerade, einläufig", "als Bolzentreppe")
    )
    finish = rng.choice(("geölt", "lackiert", "gebeizt und lackiert", "geseift", "hartgewachst"))
    railing = rng.choice(("Edelstahl", "Holz", "Glas", "Flachstahl pulverbeschichtet"))
    steps = 12 + round(area / 2) + rng.randint(0, 3)
    extras = _extras(
        rng,
        complexity,
        (
            "LED-Stufenbeleuchtung",
            "Altbau mit schiefen Wänden",
            "Wangen aufgesattelt",
            "Setzstufen",
        ),
    )
    return (
        f"{adjective}treppe {rng.choice(('Neubau', 'Altbau', 'Einfamilienhaus', 'Dachgeschoss'))}",
        f"{adjective}treppe {form}, {steps} Stufen, {finish}, Geländer aus {railing}; {extras}",
    )


def _furniture(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    wood = wood or "Eiche"
    piece = rng.choice(
        (
            "Einbauschrank in Dachschräge",
            "Bücherregal raumhoch",
            "Esstisch mit Auszug",
            "Sideboard",
            "Kleiderschrank mit Schiebetüren",
            "Garderobe mit Sitzbank",
            "TV-Lowboard",
            "Doppelbett mit Bettkasten",
        )
    )
    build = rng.choice((f"{wood} massiv", f"{wood} furniert", f"Korpus MDF, Fronten {wood}"))
    finish = rng.choice(("geölt", "lackiert", "gewachst", "weiß lackiert mit Holzabsetzungen"))
    extras = _extras(
        rng,
        complexity,
        ("grifflos mit Push-to-open", "integrierte Beleuchtung", "Sondermaße", "Schubkästen"),
    )
    return (
        f"{piece.split(' ')[0]} {wood}",
        f"{piece}, {build}, {finish}, ca. {_n(area)} m² Frontfläche; {extras}",
    )


def _kitchen(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    wood = wood or "Eiche"
    layout = rng.choice(("L-Form", "U-Form", "Küchenzeile", "mit Kochinsel", "zweizeilig"))
    top = rng.choice(("Granit", "Schichtstoff", f"{wood} massiv", "Keramik", "Quarzkomposit"))
    length = 2.4 + area / 5 + rng.uniform(0, 1.5)
    extras = _extras(
        rng,
        complexity,
        (
            "Geräte bauseits",
            "Hochschränke bis zur Decke",
            "Insel mit Sitzplätzen",
            "Nischenbeleuchtung",
        ),
    )
    return (
        f"Einbauküche {layout}",
        f"Einbauküche {layout}, Fronten {wood} furniert, Arbeitsplatte {top}, "
        f"{_n(length)} lfm; {extras}",
    )


def _special(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    wood = wood or "Eiche"
    job = rng.choice(
        (
            "Empfangstresen Arztpraxis",
            "Ladeneinrichtung Bäckerei mit Theke",
            "Bibliothek raumhoch mit Schiebeleiter",
            "Saunaausbau",
            "Weinregal-Anlage im Keller",
            "Akustikdecke Besprechungsraum",
            "Messestand-Möbel",
        )
    )
    extras = _extras(
        rng,
        complexity,
        ("Einzelanfertigung nach Entwurf", "Montage am Wochenende", "Glaselemente", "Kabelführung"),
    )
    return (job, f"{job}, {wood}, ca. {_n(area)} m²; {extras}")


def _roof(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    wood = wood or "Fichte"
    form = rng.choice(("Satteldach", "Walmdach", "Pultdach", "Krüppelwalmdach", "Mansarddach"))
    pitch = rng.choice((22, 30, 35, 38, 42, 45))
    kind = rng.choice(("Neubau", "Sanierung", "Aufstockung"))
    extras = _extras(
        rng,
        complexity,
        ("mit Aufsparrendämmung", "Gauben", "Sichtdachstuhl gehobelt", "Kranstellung schwierig"),
    )
    return (
        f"Dachstuhl {form} {kind}",
        f"{form} {kind}, Dachneigung {pitch}°, Sparren und Pfetten {wood}, "
        f"{_n(area)} m² Dachfläche; {extras}",
    )


def _upholstery(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    piece = rng.choice(
        (
            "Sofa 3-Sitzer",
            "Ohrensessel",
            "Eckbank",
            "Esszimmerstühle (6 Stück)",
            "Chesterfield-Sofa",
            "Kopfteil Bett",
        )
    )
    cover = rng.choice(("Velours anthrazit", "Leder cognac", "Wollstoff petrol", "Chenille sand"))
    work = rng.choice(("Neubezug", "Aufarbeitung", "Neuanfertigung"))
    extras = _extras(
        rng,
        complexity,
        ("Federkern erneuert", "Knopfheftung", "Kedernaht", "Gestell repariert"),
    )
    return (
        f"{work} {piece}",
        f"{work} {piece}, Bezug {cover}, neue Polsterung Kaltschaum; {extras}",
    )


def _tiles(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    room = rng.choice(("Badezimmer", "Küche", "Flur", "Terrasse", "Gäste-WC", "Wohnbereich"))
    tile = rng.choice(
        (
            "Feinsteinzeug 60×60 grau",
            "Feinsteinzeug 120×60 Marmoroptik",
            "Holzoptik 20×120",
            "Wandfliese 30×60 weiß",
            "Zementfliesen gemustert",
        )
    )
    extras = _extras(
        rng,
        complexity,
        (
            "bodengleiche Dusche",
            "Großformat",
            "Mosaik-Bordüre",
            "Gefälleestrich",
            "Altbelag entfernt",
        ),
    )
    return (
        f"Fliesenarbeiten {room}",
        f"{room} Boden und Wand, {tile}, {_n(area)} m², Fugen zementgrau; {extras}",
    )


def _painting(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    job = rng.choice(
        (
            "Wohnung streichen, Wände und Decken",
            "Fassadenanstrich Einfamilienhaus",
            "Treppenhaus Mehrfamilienhaus",
            "Büroräume renovieren",
            "Tapezierarbeiten Vlies",
        )
    )
    paint = rng.choice(("Dispersionsfarbe weiß", "Silikatfarbe", "Latexfarbe", "Silikonharzfarbe"))
    extras = _extras(
        rng,
        complexity,
        ("Raufaser erneuert", "Lackierung Türen und Zargen", "Stuck ausgebessert", "Gerüst"),
    )
    return (job.split(",")[0], f"{job}, {paint}, {_n(area)} m² Fläche; {extras}")


def _electrical(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    job = rng.choice(
        (
            "Elektroinstallation Neubau Einfamilienhaus",
            "Altbausanierung, Leitungen erneuern",
            "Smart-Home KNX Nachrüstung",
            "Wallbox-Installation 11 kW",
            "Beleuchtung Küche und Wohnbereich LED",
        )
    )
    sockets = 8 + round(area / 6) + rng.randint(0, 6)
    extras = _extras(
        rng,
        complexity,
        (
            "neue Unterverteilung",
            "FI-Schutzschalter nachgerüstet",
            "Netzwerkverkabelung",
            "E-Check",
        ),
    )
    return (job.split(",")[0], f"{job}, {_n(area)} m² Wohnfläche, {sockets} Steckdosen; {extras}")


def _sanitary(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    job = rng.choice(
        (
            "Badsanierung komplett",
            "Gäste-WC neu",
            "barrierefreies Bad",
            "Austausch Wasserleitungen",
            "Duschbad im Dachgeschoss",
        )
    )
    items = rng.choice(
        (
            "bodengleiche Dusche, Wand-WC, Waschtisch",
            "Badewanne, Dusche, Doppelwaschtisch",
            "Wand-WC, Handwaschbecken",
            "Walk-in-Dusche, Handtuchheizkörper",
        )
    )
    extras = _extras(
        rng,
        complexity,
        (
            "Vorwandinstallation",
            "Unterputz-Thermostat",
            "Leitungen in Kupfer",
            "Altanlage entsorgt",
        ),
    )
    return (job, f"{job}, {items}, {_n(area)} m²; {extras}")


def _flooring(
    rng: random.Random, wood: str | None, complexity: int, area: float
) -> tuple[str, str]:
    wood = wood or "Eiche"
    kind = rng.choice(
        (
            f"Parkett {wood} Landhausdiele 14 mm",
            f"Massivdielen {wood} 21 mm",
            f"Fischgrätparkett {wood}",
            f"Dielenboden {wood} schleifen und ölen",
        )
    )
    extras = _extras(
        rng,
        complexity,
        ("inkl. Sockelleisten", "Fußbodenheizung", "Untergrund ausgeglichen", "Treppe mitbelegt"),
    )
    return (
        f"Bodenbelag {wood}",
        f"{kind}, {_n(area)} m², {rng.choice(('geölt', 'versiegelt'))}; {extras}",
    )


def _windows(rng: random.Random, wood: str | None, complexity: int, area: float) -> tuple[str, str]:
    wood = wood or "Kiefer"
    count = max(1, round(area / 1.8))
    job = rng.choice(
        (
            f"{count} Holzfenster {wood}, 3-fach-Verglasung",
            f"Haustür {wood} mit Seitenteil",
            f"{count} Innentüren {wood} mit Zargen",
            f"{count} Holz-Alu-Fenster {wood}",
        )
    )
    finish = rng.choice(("weiß lackiert", "lasiert", "naturbelassen geölt"))
    extras = _extras(
        rng,
        complexity,
        ("Denkmalschutz", "Sprossen", "Einbruchschutz RC2", "Rollladenkästen"),
    )
    return (job.split(",")[0], f"{job}, {finish}, {_n(area)} m² Elementfläche; {extras}")


NO_WOOD: tuple[str, ...] = ()
TIMBER = ("Eiche", "Nussbaum", "Esche", "Buche", "Ahorn", "Kiefer")

PROFILES: tuple[TypeProfile, ...] = (
    TypeProfile(
        name="Treppenbau",
        area_range=(3, 14),
        base_per_sqm=950,
        hours_per_sqm=10.0,
        woods=("Eiche", "Buche", "Esche", "Nussbaum", "Ahorn", "Kiefer"),
        categories=(
            "Holz",
            "Beschläge",
            "Befestigung",
            "Farben und Lacke",
            "Kleber und Dichtstoffe",
        ),
        describe=_stairs,
        main_materials=("Treppenstufe", "Bohle", "Leimholz"),
    ),
    TypeProfile(
        name="Möbel",
        area_range=(1, 10),
        base_per_sqm=650,
        hours_per_sqm=6.0,
        woods=TIMBER,
        categories=("Holz", "Plattenwerkstoffe", "Beschläge", "Farben und Lacke", "Befestigung"),
        describe=_furniture,
        main_materials=("Leimholz", "Bohle"),
    ),
    TypeProfile(
        name="Kücheneinrichtung",
        area_range=(6, 25),
        base_per_sqm=900,
        hours_per_sqm=6.0,
        woods=TIMBER,
        categories=(
            "Plattenwerkstoffe",
            "Beschläge",
            "Holz",
            "Elektro",
            "Sanitär",
            "Kleber und Dichtstoffe",
        ),
        describe=_kitchen,
    ),
    TypeProfile(
        name="Spezialbau",
        area_range=(5, 60),
        base_per_sqm=500,
        hours_per_sqm=5.0,
        woods=TIMBER,
        categories=("Plattenwerkstoffe", "Holz", "Beschläge", "Befestigung", "Farben und Lacke"),
        describe=_special,
    ),
    TypeProfile(
        name="Dachstuhl",
        area_range=(60, 220),
        base_per_sqm=95,
        hours_per_sqm=1.6,
        woods=("Fichte", "Lärche", "Kiefer", "Eiche"),
        categories=("Holz", "Befestigung", "Dämmstoffe", "Kleber und Dichtstoffe"),
        describe=_roof,
        main_materials=("Konstruktionsvollholz", "Brettschichtholz", "Sparren", "Bohle"),
    ),
    TypeProfile(
        name="Polsterei",
        area_range=(1, 8),
        base_per_sqm=420,
        hours_per_sqm=5.0,
        woods=NO_WOOD,
        categories=("Stoffe", "Schaumstoffe", "Befestigung", "Kleber und Dichtstoffe"),
        describe=_upholstery,
    ),
    TypeProfile(
        name="Fliesenarbeiten",
        area_range=(8, 120),
        base_per_sqm=55,
        hours_per_sqm=1.4,
        woods=NO_WOOD,
        categories=("Fliesen", "Kleber und Dichtstoffe", "Dämmstoffe"),
        describe=_tiles,
        main_materials=("Feinsteinzeug", "Wandfliese", "Bodenfliese", "Zementfliese", "Mosaik"),
    ),
    TypeProfile(
        name="Malerarbeiten",
        area_range=(30, 400),
        base_per_sqm=9,
        hours_per_sqm=0.45,
        woods=NO_WOOD,
        categories=("Farben und Lacke", "Kleber und Dichtstoffe"),
        describe=_painting,
        main_materials=("farbe", "Tapete"),
    ),
    TypeProfile(
        name="Elektro",
        area_range=(40, 250),
        base_per_sqm=28,
        hours_per_sqm=1.0,
        woods=NO_WOOD,
        categories=("Elektro",),
        describe=_electrical,
    ),
    TypeProfile(
        name="Sanitär",
        area_range=(5, 25),
        base_per_sqm=420,
        hours_per_sqm=7.0,
        woods=NO_WOOD,
        categories=("Sanitär", "Fliesen", "Kleber und Dichtstoffe", "Dämmstoffe"),
        describe=_sanitary,
    ),
    TypeProfile(
        name="Bodenbeläge",
        area_range=(15, 150),
        base_per_sqm=28,
        hours_per_sqm=0.6,
        woods=("Eiche", "Esche", "Buche", "Ahorn", "Nussbaum", "Lärche"),
        categories=("Holz", "Dämmstoffe", "Kleber und Dichtstoffe", "Plattenwerkstoffe"),
        describe=_flooring,
        main_materials=("Landhausdiele",),
    ),
    TypeProfile(
        name="Fenster und Türen",
        area_range=(2, 30),
        base_per_sqm=380,
        hours_per_sqm=3.5,
        woods=("Kiefer", "Eiche", "Lärche", "Fichte"),
        categories=(
            "Holz",
            "Beschläge",
            "Kleber und Dichtstoffe",
            "Dämmstoffe",
            "Farben und Lacke",
        ),
        describe=_windows,
        main_materials=("Fensterkantel", "Bohle"),
    ),
)

BY_NAME: dict[str, TypeProfile] = {profile.name: profile for profile in PROFILES}
