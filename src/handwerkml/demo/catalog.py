"""The demo materials catalog: realistic German article names, units and list prices.

`MASTER_CATALOG` is fixed; a tenant's catalog is drawn from it with its own
suppliers, article numbers and a little price scatter, so two tenants never share
a row but both look like real wholesale catalogs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CATEGORIES = (
    "Holz",
    "Plattenwerkstoffe",
    "Beschläge",
    "Stoffe",
    "Schaumstoffe",
    "Fliesen",
    "Farben und Lacke",
    "Elektro",
    "Sanitär",
    "Kleber und Dichtstoffe",
    "Dämmstoffe",
    "Befestigung",
)

WOOD_TYPES = ("Eiche", "Nussbaum", "Kiefer", "Esche", "Fichte", "Buche", "Ahorn", "Lärche")

# Relative value of each species: part of the catalog prices and of the demo pricing rule.
WOOD_FACTORS: dict[str, float] = {
    "Eiche": 1.25,
    "Nussbaum": 1.45,
    "Kiefer": 0.90,
    "Esche": 1.15,
    "Fichte": 0.85,
    "Buche": 1.05,
    "Ahorn": 1.15,
    "Lärche": 1.00,
}

SUPPLIERS: dict[str, tuple[str, ...]] = {
    "Holz": ("Holzhandel Süd GmbH", "Sägewerk Brunner KG"),
    "Plattenwerkstoffe": ("Plattenhandel Rhein GmbH", "Holzhandel Süd GmbH"),
    "Beschläge": ("Beschlag-Zentrale Weber", "Möbelbeschläge Lindner GmbH"),
    "Stoffe": ("Polsterbedarf Hoffmann", "Textilkontor Bremer"),
    "Schaumstoffe": ("Polsterbedarf Hoffmann", "Schaumstoffwerk Erzgebirge GmbH"),
    "Fliesen": ("Fliesen-Großhandel Nord GmbH", "Keramikhandel Bauer"),
    "Farben und Lacke": ("Farbenwerk Lindner GmbH", "Malerbedarf Kühn KG"),
    "Elektro": ("Elektro-Großhandel Meier KG", "Elektrovertrieb Adler GmbH"),
    "Sanitär": ("Sanitärhandel Schulte GmbH", "Haustechnik Vogt KG"),
    "Kleber und Dichtstoffe": ("Bauchemie Krämer GmbH", "Fliesen-Großhandel Nord GmbH"),
    "Dämmstoffe": ("Dämmstoff-Depot Ost GmbH", "Baustoffe Wagner KG"),
    "Befestigung": ("Befestigungstechnik Brandt GmbH", "Schrauben-Express Ulm"),
}


@dataclass(frozen=True, slots=True)
class CatalogItem:
    category: str
    name: str
    unit: str
    price: float
    # Set for Holz items cut from one species; projects of that wood use them first.
    wood: str | None = None


def _item(category: str, name: str, unit: str, price: float) -> CatalogItem:
    return CatalogItem(category=category, name=name, unit=unit, price=price)


def _wood_items() -> list[CatalogItem]:
    products = (
        ("Bohle sägerau 52 mm", "m³", 1150.0),
        ("Leimholzplatte 27 mm", "m²", 68.0),
        ("Treppenstufe keilgezinkt 40 mm", "Stk", 145.0),
        ("Handlauf rund 45 mm", "lfm", 24.0),
        ("Landhausdiele 14 mm", "m²", 58.0),
        ("Kantholz 60×80 mm gehobelt", "lfm", 9.5),
    )
    items = []
    for wood in WOOD_TYPES:
        for product, unit, price in products:
            name = f"{wood} {product}"
            items.append(CatalogItem("Holz", name, unit, price * WOOD_FACTORS[wood], wood=wood))
    construction = (
        ("Konstruktionsvollholz KVH 80×200 mm Fichte", "lfm", 14.5, "Fichte"),
        ("Konstruktionsvollholz KVH 100×240 mm Fichte", "lfm", 21.0, "Fichte"),
        ("Brettschichtholz BSH 120×240 mm Fichte", "m³", 780.0, "Fichte"),
        ("Dachlatte 30×50 mm imprägniert", "lfm", 1.2, "Fichte"),
        ("Rauspund 24 mm Fichte", "m²", 17.5, "Fichte"),
        ("Sparren 80×200 mm Lärche", "lfm", 19.0, "Lärche"),
        ("Terrassendiele Lärche 27×145 mm", "m²", 46.0, "Lärche"),
        ("Fensterkantel Kiefer 3-fach verleimt 68×86 mm", "lfm", 16.0, "Kiefer"),
        ("Fensterkantel Eiche 3-fach verleimt 68×86 mm", "lfm", 34.0, "Eiche"),
        ("Sockelleiste Eiche massiv 16×60 mm", "lfm", 7.9, "Eiche"),
    )
    items += [CatalogItem("Holz", n, u, p, wood=w) for n, u, p, w in construction]
    return items


def _panel_items() -> list[CatalogItem]:
    panels = (
        ("Spanplatte roh P2", (16, 19, 25), "m²", 0.55),
        ("MDF-Platte roh", (8, 16, 19, 22), "m²", 0.62),
        ("Multiplexplatte Birke", (12, 18, 24), "m²", 2.1),
        ("OSB/3-Platte", (12, 18, 22), "m²", 0.48),
        ("Tischlerplatte Stäbchen", (19, 22), "m²", 1.6),
        ("Spanplatte melaminbeschichtet weiß", (16, 19), "m²", 0.95),
        ("HPL-Schichtstoffplatte", (8, 12), "m²", 5.2),
        ("Arbeitsplatte Eiche furniert", (38,), "lfm", 2.9),
        ("Arbeitsplatte Schichtstoff Beton-Optik", (38,), "lfm", 1.7),
        ("Gipskartonplatte GKB", (12.5,), "m²", 0.3),
    )
    items = []
    for name, thicknesses, unit, per_mm in panels:
        for mm in thicknesses:
            label = f"{mm:g}".replace(".", ",")
            items.append(_item("Plattenwerkstoffe", f"{name} {label} mm", unit, per_mm * mm))
    return items


def _hardware_items() -> list[CatalogItem]:
    rows = [
        ("Topfscharnier 110° mit Dämpfung", "Stk", 6.9),
        ("Topfscharnier 170° Weitwinkel", "Stk", 12.5),
        ("Kreuzmontageplatte Distanz 0 mm", "Stk", 1.4),
        ("Schubkastenführung Vollauszug 500 mm", "Stk", 24.0),
        ("Schubkastenführung Vollauszug 600 mm Soft-Close", "Stk", 31.0),
        ("Push-to-open Beschlag", "Stk", 8.9),
        ("Möbelgriff Edelstahl 160 mm", "Stk", 6.5),
        ("Möbelgriff Eiche massiv 128 mm", "Stk", 9.8),
        ("Muschelgriff Messing", "Stk", 7.2),
        ("Schrankaufhänger verdeckt", "Stk", 3.6),
        ("Möbelschloss mit Zylinder", "Stk", 11.0),
        ("Schiebetürbeschlag Softclose 2-flügelig", "Stk", 145.0),
        ("Klappenhalter mit Dämpfung", "Stk", 38.0),
        ("Fensterbeschlag Dreh-Kipp", "Stk", 78.0),
        ("Fenstergriff Aluminium abschließbar", "Stk", 18.5),
        ("Haustürschloss Mehrfachverriegelung", "Stk", 189.0),
        ("Türband 3-teilig vernickelt", "Stk", 14.0),
        ("Drückergarnitur Edelstahl", "Stk", 39.0),
        ("Einsteckschloss BB 55 mm", "Stk", 12.9),
        ("Geländerpfosten Edelstahl", "Stk", 64.0),
        ("Handlaufhalter Edelstahl", "Stk", 9.9),
        ("Glasklemmhalter Edelstahl", "Stk", 16.5),
        ("Treppenstufenbefestigung Bolzen", "Stk", 22.0),
        ("Sockelfuß höhenverstellbar", "Stk", 2.4),
        ("Regalbodenträger vernickelt", "Stk", 0.35),
        ("LED-Profil Aluminium mit Abdeckung", "lfm", 12.0),
    ]
    return [_item("Beschläge", n, u, p) for n, u, p in rows]


def _fabric_items() -> list[CatalogItem]:
    fabrics = (
        ("Möbelstoff Velours", 38.0),
        ("Möbelstoff Chenille", 32.0),
        ("Wollstoff Loden", 54.0),
        ("Mikrofaser Polsterstoff", 24.0),
        ("Rindleder Anilin", 125.0),
        ("Kunstleder", 21.0),
    )
    colours = ("anthrazit", "sand", "petrol", "cognac")
    items = []
    for index, (name, price) in enumerate(fabrics):
        for colour in colours[: 2 + index % 3]:
            items.append(_item("Stoffe", f"{name} {colour}", "lfm", price))
    items.append(_item("Stoffe", "Polsternessel ungebleicht", "lfm", 6.5))
    items.append(_item("Stoffe", "Jute-Gurtband 8 cm", "lfm", 1.9))
    return items


def _foam_items() -> list[CatalogItem]:
    items = [
        _item("Schaumstoffe", f"Kaltschaum RG 40 {cm} cm", "m²", 5.2 * cm) for cm in (3, 5, 8, 10)
    ]
    items += [
        _item("Schaumstoffe", f"Polyätherschaum RG 30 {cm} cm", "m²", 3.4 * cm) for cm in (2, 5)
    ]
    items += [
        _item("Schaumstoffe", "Polsterwatte 200 g/m²", "m²", 4.8),
        _item("Schaumstoffe", "Bonell-Federkern 90×200", "Stk", 74.0),
        _item("Schaumstoffe", "Taschenfederkern Polsterung", "m²", 58.0),
        _item("Schaumstoffe", "Latexschaum 4 cm", "m²", 39.0),
        _item("Schaumstoffe", "Formteil Armlehne Kaltschaum", "Stk", 26.0),
    ]
    return items


def _tile_items() -> list[CatalogItem]:
    rows = [
        ("Feinsteinzeug 60×60 Betonoptik grau", "m²", 34.0),
        ("Feinsteinzeug 60×60 anthrazit matt", "m²", 36.0),
        ("Feinsteinzeug 30×60 beige", "m²", 27.0),
        ("Feinsteinzeug 120×60 Marmoroptik", "m²", 64.0),
        ("Feinsteinzeug 120×120 Großformat", "m²", 89.0),
        ("Feinsteinzeug Holzoptik Eiche 20×120", "m²", 42.0),
        ("Terrassenplatte Feinsteinzeug 2 cm 60×60", "m²", 58.0),
        ("Wandfliese 30×60 weiß glänzend", "m²", 22.0),
        ("Wandfliese 30×90 weiß matt rektifiziert", "m²", 31.0),
        ("Wandfliese Metro 7,5×15 weiß", "m²", 39.0),
        ("Mosaik Glas 2,5×2,5 auf Netz", "m²", 79.0),
        ("Mosaik Naturstein 5×5", "m²", 95.0),
        ("Bodenfliese Steingut 30×30", "m²", 16.0),
        ("Sockelfliese 8×60", "lfm", 7.5),
        ("Fliesenschiene Edelstahl 10 mm", "lfm", 6.8),
        ("Natursteinfliese Schiefer 40×40", "m²", 68.0),
        ("Zementfliese 20×20 gemustert", "m²", 85.0),
        ("Entkopplungsmatte", "m²", 18.5),
    ]
    return [_item("Fliesen", n, u, p) for n, u, p in rows]


def _paint_items() -> list[CatalogItem]:
    rows = [
        ("Dispersionsfarbe weiß Nassabrieb Kl. 2", "l", 6.9),
        ("Dispersionsfarbe weiß Nassabrieb Kl. 3", "l", 4.2),
        ("Latexfarbe seidenmatt", "l", 9.8),
        ("Silikatfarbe innen", "l", 8.5),
        ("Silikonharz-Fassadenfarbe", "l", 11.5),
        ("Tiefengrund lösemittelfrei", "l", 3.4),
        ("Haftgrund", "l", 7.9),
        ("Acryllack weiß seidenmatt", "l", 21.0),
        ("Kunstharzlack RAL 9010", "l", 24.0),
        ("Parkettlack 2K seidenmatt", "l", 34.0),
        ("Klarlack wasserbasiert matt", "l", 27.0),
        ("Hartwachsöl farblos", "l", 39.0),
        ("Holzöl natur", "l", 28.0),
        ("Holzlasur Kiefer", "l", 18.0),
        ("Holzbeize Nussbaum", "l", 22.0),
        ("Spachtelmasse Q3 Fertigspachtel", "kg", 2.6),
        ("Raufasertapete mittel", "m²", 0.9),
        ("Vliestapete überstreichbar", "m²", 2.8),
        ("Abdeckvlies", "m²", 1.6),
        ("Malerkrepp 50 m", "Stk", 4.5),
    ]
    return [_item("Farben und Lacke", n, u, p) for n, u, p in rows]


def _electrical_items() -> list[CatalogItem]:
    rows = [
        ("Mantelleitung NYM-J 3×1,5 mm²", "lfm", 1.1),
        ("Mantelleitung NYM-J 5×1,5 mm²", "lfm", 1.7),
        ("Mantelleitung NYM-J 5×2,5 mm²", "lfm", 2.6),
        ("Mantelleitung NYM-J 5×6 mm²", "lfm", 5.9),
        ("Datenkabel Cat.7 S/FTP", "lfm", 1.3),
        ("Installationsrohr flexibel M20", "lfm", 0.6),
        ("Schalterdose tief", "Stk", 0.9),
        ("Abzweigdose Aufputz", "Stk", 3.2),
        ("Schuko-Steckdose reinweiß", "Stk", 6.8),
        ("Wechselschalter reinweiß", "Stk", 7.4),
        ("Jalousieschalter", "Stk", 19.0),
        ("LED-Einbauleuchte 7 W dimmbar", "Stk", 24.0),
        ("LED-Panel 60×60 36 W", "Stk", 58.0),
        ("LED-Streifen 24 V warmweiß", "lfm", 9.0),
        ("Leitungsschutzschalter B16", "Stk", 8.5),
        ("FI-Schutzschalter 40 A 30 mA", "Stk", 42.0),
        ("Unterverteilung 3-reihig", "Stk", 115.0),
        ("Wallbox 11 kW", "Stk", 749.0),
        ("KNX-Schaltaktor 8-fach", "Stk", 289.0),
        ("Rauchwarnmelder 10 Jahre", "Stk", 22.0),
        ("E-Check Prüfprotokoll", "psch", 95.0),
    ]
    return [_item("Elektro", n, u, p) for n, u, p in rows]


def _sanitary_items() -> list[CatalogItem]:
    rows = [
        ("Wand-WC spülrandlos mit Softclose-Sitz", "Stk", 289.0),
        ("Vorwandelement WC 112 cm", "Stk", 235.0),
        ("Betätigungsplatte WC weiß", "Stk", 69.0),
        ("Waschtisch 60 cm Keramik", "Stk", 149.0),
        ("Doppelwaschtisch 120 cm", "Stk", 449.0),
        ("Waschtischarmatur Einhebel chrom", "Stk", 119.0),
        ("Unterputz-Brausearmatur Thermostat", "Stk", 389.0),
        ("Regendusche Kopfbrause 30 cm", "Stk", 179.0),
        ("Duschrinne Edelstahl 80 cm", "Stk", 210.0),
        ("Duschwanne flach 90×90", "Stk", 189.0),
        ("Duschabtrennung Glas 8 mm", "Stk", 690.0),
        ("Badewanne Acryl 170×75", "Stk", 329.0),
        ("Küchenarmatur mit Brause", "Stk", 159.0),
        ("Mehrschichtverbundrohr 16×2", "lfm", 2.9),
        ("Kupferrohr 15 mm", "lfm", 9.5),
        ("HT-Abflussrohr DN 50", "lfm", 4.2),
        ("Röhrensiphon verchromt", "Stk", 29.0),
        ("Eckventil 1/2 Zoll", "Stk", 8.9),
        ("Handtuchheizkörper 1200×500", "Stk", 219.0),
        ("Druckprüfung Leitungsnetz", "psch", 120.0),
    ]
    return [_item("Sanitär", n, u, p) for n, u, p in rows]


def _adhesive_items() -> list[CatalogItem]:
    rows = [
        ("Flexkleber C2TE S1", "kg", 1.2),
        ("Fließbettmörtel", "kg", 1.4),
        ("Fugenmörtel flexibel grau", "kg", 2.9),
        ("Epoxid-Fugenmörtel", "kg", 18.0),
        ("Flüssigabdichtung", "kg", 8.5),
        ("Dichtband für Abdichtung", "lfm", 2.4),
        ("Sanitär-Silikon transparent 310 ml", "Stk", 7.5),
        ("Acryl-Dichtstoff weiß 310 ml", "Stk", 3.9),
        ("Montagekleber lösemittelfrei", "Stk", 8.9),
        ("Holzleim D3 wasserfest", "kg", 9.8),
        ("PU-Konstruktionskleber", "kg", 22.0),
        ("Parkettkleber SMP", "kg", 6.9),
        ("PU-Montageschaum 750 ml", "Stk", 9.5),
        ("Kompriband 15/3", "lfm", 1.8),
        ("Polsterkleber Sprühdose", "Stk", 14.0),
        ("Grundierung für Fliesenuntergrund", "l", 4.6),
    ]
    return [_item("Kleber und Dichtstoffe", n, u, p) for n, u, p in rows]


def _insulation_items() -> list[CatalogItem]:
    rows = [
        ("Mineralwolle Zwischensparren WLG 035 160 mm", "m²", 11.5),
        ("Mineralwolle Zwischensparren WLG 035 200 mm", "m²", 14.5),
        ("Holzfaserdämmplatte 60 mm", "m²", 19.0),
        ("Holzfaser-Unterdeckplatte 35 mm", "m²", 14.0),
        ("Aufsparrendämmung PIR 140 mm", "m²", 39.0),
        ("EPS-Dämmplatte WLG 035 100 mm", "m²", 8.9),
        ("XPS-Dämmplatte 50 mm", "m²", 12.5),
        ("Trittschalldämmung 3 mm", "m²", 2.9),
        ("Zellulose-Einblasdämmung", "kg", 1.1),
        ("Dampfbremsbahn feuchtevariabel", "m²", 2.2),
        ("Rohrisolierung 15 mm", "lfm", 1.9),
        ("Schallschutzmatte Vorwand", "m²", 7.8),
    ]
    return [_item("Dämmstoffe", n, u, p) for n, u, p in rows]


def _fastener_items() -> list[CatalogItem]:
    rows = [
        ("Holzbauschraube 8×200 Tellerkopf", "Stk", 0.85),
        ("Spanplattenschraube 4×40 Senkkopf", "Stk", 0.03),
        ("Spanplattenschraube 5×80 Senkkopf", "Stk", 0.08),
        ("Edelstahlschraube A2 5×60", "Stk", 0.21),
        ("Terrassenschraube 5×60 A4", "Stk", 0.18),
        ("Rahmendübel 10×100", "Stk", 0.45),
        ("Nylondübel 8 mm", "Stk", 0.06),
        ("Sparrennagel 6×200", "kg", 4.9),
        ("Balkenschuh 80×200 verzinkt", "Stk", 6.4),
        ("Winkelverbinder 90 mm", "Stk", 1.9),
        ("Gewindestange M10 1 m verzinkt", "Stk", 2.8),
        ("Schwerlastanker M12", "Stk", 3.9),
        ("Polsternägel vermessingt", "kg", 18.0),
        ("Tackerklammern 10 mm", "Stk", 0.01),
        ("Lochband 40 mm verzinkt", "lfm", 1.5),
        ("Stockschraube M10×200", "Stk", 1.2),
    ]
    return [_item("Befestigung", n, u, p) for n, u, p in rows]


MASTER_CATALOG: tuple[CatalogItem, ...] = tuple(
    _wood_items()
    + _panel_items()
    + _hardware_items()
    + _fabric_items()
    + _foam_items()
    + _tile_items()
    + _paint_items()
    + _electrical_items()
    + _sanitary_items()
    + _adhesive_items()
    + _insulation_items()
    + _fastener_items()
)

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    name: str
    category: str
    unit: str
    unit_price: Decimal
    supplier: str
    article_number: str
    description: str
    wood: str | None


def build_catalog(
    rng: random.Random,
    *,
    categories: tuple[str, ...] = CATEGORIES,
    limit: int | None = None,
    price_level: float = 1.0,
    supplier_index: int = 0,
) -> list[MaterialSpec]:
    """A tenant's materials from the master catalog, priced with ±10 % scatter."""
    items = [item for item in MASTER_CATALOG if item.category in categories]
    if limit is not None and limit < len(items):
        items = sorted(rng.sample(items, limit), key=MASTER_CATALOG.index)
    catalog = []
    for number, item in enumerate(items, start=1):
        supplier = SUPPLIERS[item.category][supplier_index % len(SUPPLIERS[item.category])]
        prefix = "".join(word[0] for word in supplier.split()[:2]).upper()
        price = Decimal(str(item.price * price_level * rng.uniform(0.9, 1.1)))
        catalog.append(
            MaterialSpec(
                name=item.name,
                category=item.category,
                unit=item.unit,
                unit_price=max(price.quantize(CENT, rounding=ROUND_HALF_UP), CENT),
                supplier=supplier,
                article_number=f"{prefix}-{rng.randint(10, 99)}{number:04d}",
                description=f"{item.name}, Bezug über {supplier}",
                wood=item.wood,
            )
        )
    return catalog
