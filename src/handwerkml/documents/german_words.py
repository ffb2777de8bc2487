"""The word list behind compound splitting: craft and building words with frequencies.

`python -m handwerkml.documents.german_words` rewrites german_words.txt from two
sources: the nouns of the demo data (src/handwerkml/demo/: project texts,
catalog articles, categories), counted, and the hand-written building
vocabulary below, which adds the simple words that compounds are made of
(Fliese, Kleber, Dämmung, Ständer, Wand …), verb stems that start compounds
(Dämm-stoff, Kleb-stoff, Schleif-papier) and the adjectives and particles that
do (Innen-putz, Ober-fläche, Trocken-bau). The file is checked in: the keyword
index must not change when the demo texts do, only when this list is rebuilt
(keywords.ANALYZER_VERSION then changes, and the index must be rebuilt).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from handwerkml.documents.keywords import STOPWORDS, fold

OUTPUT = Path(__file__).with_name("german_words.txt")

# Simple words, not compounds: a compound of known parts splits by itself.
BUILDING_WORDS = """
Holz Eiche Buche Fichte Kiefer Lärche Esche Ahorn Nussbaum Birke Douglasie Tanne Zeder
Teak Bambus Kork Linoleum Vinyl Laminat Parkett Diele Brett Bohle Balken Latte Leiste
Sparren Pfette Platte Span Faser Furnier Leim Gips Karton Kalk Zement Beton Mörtel Putz
Estrich Sand Kies Splitt Schotter Lehm Ton Ziegel Klinker Stein Granit Marmor Schiefer
Glas Metall Stahl Eisen Guss Aluminium Kupfer Zink Titan Messing Blei Bronze Chrom
Silikon Acryl Bitumen Kautschuk Gummi Folie Vlies Gewebe Filz Wolle Mineral Polystyrol
Schaum Zellulose Hanf Jute Leder Stoff Textil Farbe Lack Lasur Beize Öl Wachs
Grundierung Spachtel Kleber Fuge Dübel Schraube Nagel Niete Mutter Bolzen Anker Haken
Winkel Profil Schiene Rohr Schlauch Kabel Leitung Draht Keramik Fliese Mosaik Zeug Korn
Pulver Masse Granulat Paste Harz Epoxid Dispersion Silikat Wand Decke Boden Dach Fassade
Fenster Tür Tor Treppe Stufe Geländer Hand Lauf Podest Balkon Terrasse Keller Garage
Zaun Mauer Pfeiler Säule Stütze Träger Sturz Schwelle Zarge Rahmen Flügel Blatt Scheibe
Verglasung Rollladen Jalousie Markise Gaube Rinne Traufe First Ortgang Kehle Kamin
Schornstein Lüftung Heizung Kessel Therme Speicher Pumpe Ventil Armatur Hahn Wanne
Dusche Tasse Becken Toilette Spülung Spüle Abfluss Ablauf Einlauf Siphon Schacht Kanal
Grube Zisterne Tank Rost Abdeckung Deckel Klappe Luke Nische Ecke Kante Sockel Fuß Kopf
Fläche Raum Zimmer Bad Küche Flur Wohnung Haus Gebäude Halle Hof Garten Weg Straße Platz
Körper Radiator Dose Schalter Licht Lampe Leuchte Strom Spannung Sicherung Verteiler
Zähler Klingel Antenne Netz Melder Sensor Motor Antrieb Schloss Schlüssel Zylinder Griff
Klinke Beschlag Scharnier Band Schublade Schrank Regal Tisch Stuhl Bank Bett Sofa Sessel
Möbel Korpus Front Theke Tresen Bau Einbau Aufbau Ausbau Umbau Anbau Rohbau Arbeit
Montage Demontage Lieferung Verlegung Sanierung Renovierung Modernisierung Reparatur
Wartung Reinigung Entsorgung Abbruch Rückbau Abriss Schutz Dämmung Isolierung Abdichtung
Dichtung Beschichtung Anstrich Lackierung Versiegelung Verfugung Befestigung Verankerung
Verkleidung Bekleidung Beplankung Konstruktion Werk Statik Planung Aufmaß Angebot
Auftrag Rechnung Abnahme Gewährleistung Position Leistung Verzeichnis Preis Lohn Stunde
Material Zuschlag Pauschale Menge Einheit Lieferant Stelle Gerüst Kran Container Schutt
Abfall Wasser Abwasser Regen Schnee Wind Feuer Brand Rauch Schall Tritt Lärm Wärme Kälte
Feuchte Feuchtigkeit Nässe Frost Dampf Luft Gas Energie Solar Sonne Modul Batterie Kraft
Last Druck Zug Bruch Riss Schaden Schimmel Mangel Sperre Bremse Bahn Rolle Lage Schicht
Sack Eimer Kanister Packung Stück Satz Paar Maß Breite Höhe Tiefe Länge Stärke Dicke
Gewicht Klasse Gruppe Wert Zeit Tag Woche Monat Jahr Ende Anfang Teil Element Stand
Zustand Bereich Seite Mitte Rand Spalt Abstand Gefälle Neigung Fertig Kreis Anschluss
Verbindung Verbund System Technik Anlage Gerät Maschine Werkzeug Säge Bohrer Hammer
Zange Kelle Pinsel Walze Leiter Bock Schleifer Papier Ständer Land Schelle Muffe Bogen
Stutzen Flansch Dämpfung Führung Auszug Halter Verschluss Riegel Falz Nut Feder Zapfen
Keil Stab Gitter Matte Maler Maurer Tischler Schreiner Zimmerer Decker Leger
Installateur Elektriker Klempner Spengler Glaser Schlosser Stuckateur Gipser Sanitär
Elektro Gewerk Handwerk Meister Betrieb Firma Kunde Bauherr Architekt Planer Garantie
Frist Termin Kosten Summe Rabatt Skonto Steuer Netto Brutto Anzahlung Nachtrag Einzel
Gesamt Grund Kalkulation Schlaf Wohn Kinder Gäste Bade Dusch Wasch Sauna Büro Praxis
Laden Lager Werkstatt Stall Scheune Schuppen Carport Hütte Pool Teich Brunnen Quelle
Pflaster Rasen Beet Hecke Baum Wurzel Erde Graben Fundament Sohle Drainage Noppe Lattung
Schalung Deckung Eindeckung Schindel Blech Wechsel Giebel Erker Loggia Aufzug Rampe
Absatz Gurt Revision Öffnung Durchbruch Schlitz Tapete Bordüre Kachel Ofen Herd Mischer
Brause Urinal Bidet Spiegel Ablage Stange Vorhang Gardine Teppich Belag Auflage Polster
Bezug Naht Knopf Umleimer Fase Radius Gehrung Stoß Lasche Verbinder Beschläge Gelenk
Gasse Mulde Pflege Kontrolle Prüfung Messung Protokoll Plan Zeichnung Skizze Foto
Bericht Kollektor Sicherheit Erdung Potential Ausgleich Taster Dimmer Thermostat Regler
Fühler Steuerung Bus Funk Außen Innen Ober Unter Vorder Hinter Mittel Haupt Neben
Zwischen Ersatz Not Hoch Tief Nieder Groß Klein Lang Kurz Breit Schmal Dick Dünn Warm
Kalt Heiß Nass Trocken Feucht Fein Grob Hart Weich Leicht Schwer Roh Voll Halb Doppel
Drei Vier Fach Mehr Rund Flach Schräg Steil Glatt Rau Massiv Natur Kunst Edel Alt Neu
Erst Sicht Echt Frei Sonder Standard Schnell Dauer Flexibel Schwarz Weiß Grau Kern
Bohrung Feld Abzug Löscher Blitz Kasten Fehler Uhr Fahrt Bewegung Gebälk
Photovoltaik Richter Mantel
"""

# Verb stems at the start of compounds (Dämm-platte, Kleb-stoff), already lower case.
VERB_STEMS = """
dämm kleb schleif bohr fräs säg schneid streich lackier spachtel schraub nagel dicht
heiz kühl lüft wasch spül koch schlaf wohn ess trenn dreh kipp schieb fall trag steck
schalt schließ sperr halt füll misch roll zieh press gieß brenn leucht mess prüf stell
setz schütt spann stütz richt spritz bieg walz glätt dehn fließ trink kehr leg kleid
zeig wärm mal putz verleg verleim verfug beiz wachs öl abschleif versiegel dübel lauf
"""


def _demo_texts() -> list[str]:
    from handwerkml.demo.generator import generate

    data = generate(today=date(2024, 1, 1), seed=42, projects=600)
    texts: list[str] = []
    for tenant in data.tenants:
        for material in tenant.materials:
            texts += [material.name, material.category]
        for project in tenant.projects:
            # The name ends in the customer's name, which is no craft word.
            texts += [project.name.split(" – ")[0], project.description, project.project_type]
    return texts


_NOUN = re.compile(r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß]{2,}(?![\w])")


def build() -> Counter[str]:
    """Folded word → frequency: demo nouns counted, building words and stems once more."""
    counts: Counter[str] = Counter()
    for text in _demo_texts():
        counts.update(fold(word) for word in _NOUN.findall(text))
    for word in BUILDING_WORDS.split() + VERB_STEMS.split():
        counts[fold(word)] += 1
    return Counter({w: n for w, n in counts.items() if len(w) >= 3 and w not in STOPWORDS})


def write(path: Path = OUTPUT) -> None:
    counts = build()
    lines = [
        "# Generated by `python -m handwerkml.documents.german_words`; do not edit by hand.",
        "# folded word, frequency (demo data nouns + hand-written building vocabulary)",
        *(f"{word} {count}" for word, count in sorted(counts.items())),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
