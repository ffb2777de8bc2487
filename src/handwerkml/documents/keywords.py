"""German keyword search: one text form for SQLite FTS5 and PostgreSQL full-text search.

German writes what English spells as several words as one ("Fliesenkleber"),
spells umlauts two ways ("Dämmung", "Daemmung") and inflects ("Fliese",
"Fliesen"). Neither engine's tokenizer knows any of this, so the analysis
happens here, in Python, once for both engines:

- `index_text(text)` is the string to index: every word folded (lower case,
  ä→ae, ö→oe, ü→ue, ß→ss, other accents dropped), lightly stemmed, and followed
  by the stems of its compound parts (Fliesenkleber → fliesenkleb fli kleb).
  It holds only letters, digits and spaces, so FTS5's `unicode61` tokenizer and
  PostgreSQL's `to_tsvector('simple', …)` both see exactly these terms.
- `fts5_match(query)` / `tsquery(query)` build the engines' query from the same
  analysis: all query words must match; a compound matches as itself or as all
  of its parts, so "Fliesenkleber" finds "Kleber für Fliesen" too. Every term
  is quoted, so no user input can produce a syntax error.
- `highlight(text, query)` marks the words of a text that match a query.

Compounds are split with a word list (german_words.txt, craft and building
vocabulary with frequencies): a word splits when known words, joined by the
usual linking letters (Fliese-n-kleber, Arbeit-s-platte), cover it entirely;
in a capitalised word one part may be unknown (Zirkulations-pumpe).
docs/ingestion.md ("Keyword search") compares this with trigram search.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Literal

__all__ = [
    "ANALYZER_VERSION",
    "STOPWORDS",
    "Analyzer",
    "fold",
    "fts5_match",
    "highlight",
    "index_text",
    "query_terms",
    "tenant_term",
    "tsquery",
]

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, umlauts spelled out, other accents dropped: "Maßstäbe" → "massstaebe"."""
    # NFKC first: ligatures (ﬁ), superscripts (m²) and decomposed umlauts become plain.
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Function words a query may contain ("Kleber für Fliesen") but that must not be
# required of a document. Folded. Particles that start compounds (unter, ober,
# innen, aussen) are not here: they are word-list entries.
_STOPWORDS = """
    aber alle allem allen aller alles als also am an auch auf aus bei beim bis bzw da
    dabei damit dann das dass dem den denen der des die dies diese diesem diesen dieser
    dieses doch dort durch ein eine einem einen einer eines es etwa für gegen ggf hat
    haben hier ich ihr ihre im in inkl ist ja je jede jedem jeden jeder kein keine man
    mit nach nicht noch nur ob oder ohne per pro sehr sich sie sind so sowie über um und
    uns usw vom von vor war was weil wenn wie wir wird wo zu zum zur zzgl
"""
STOPWORDS = frozenset(fold(word) for word in _STOPWORDS.split())

# Separable prefixes: "Abdichtung" is also found as "Dichtung", "Aufsparrendämmung"
# as "Sparrendämmung". They are no terms of their own ("aus" is in every text).
_PARTICLES = ("ab", "an", "auf", "aus", "durch", "ein", "nach", "ueber", "um", "vor", "zu")
# Linking letters between the parts of a compound (Fugenelemente).
_LINKERS = ("", "s", "es", "n", "en", "e", "er", "ens", "ns")
# Endings the last part may carry (Fliesenkleber-n, Dachrinne-n).
_ENDINGS = frozenset(("", "e", "n", "en", "s", "es", "er", "ern", "em", "ens", "ns"))
_ENDINGS_SHORTEST_FIRST = tuple(sorted(_ENDINGS, key=lambda e: (len(e), e)))
# Stemming: endings removed, longest first, keeping at least three letters.
_STEM_ENDINGS = ("ern", "ers", "ens", "em", "er", "en", "es", "e")
# ae, oe, ue spell an umlaut unless a vowel precedes: not in "Bauer", "Feuer".
_UMLAUT_SPELLING = re.compile(r"(?<![aeiou])(ae|oe|ue)")
_MIN_PART = 3
# An unknown first part and the known head after it: both at least this long, so
# that Montage (mon-tage) stays whole.
_MIN_UNKNOWN = 4
_MIN_HEAD = 4
# Inseparable prefixes: before them the head is a derived word (Fischgrät-verband).
_INSEPARABLE = ("ver", "ge", "be", "ent", "zer", "miss")
# A known first part and the unknown head after it: Gerüst-miete is split.
_MIN_MODIFIER = 4
_MIN_UNKNOWN_HEAD = 5
# An unknown "head" starting like a derivation ending is none: Halt-erung,
# Platz-ierung, Stell-ungnahme stay whole.
_DERIVATIONS = ("ung", "erung", "ierung", "ier", "lich", "isch", "heit", "keit", "schaft")
# Suffixes after which an -s- is a linker: Zirkulation-s-pumpe, Sicherheit-s-glas.
_FUGEN_S_BEFORE = ("ung", "ion", "heit", "keit", "schaft", "taet", "tum", "ling")
# A longer "word" is a hash, a URL or garbage: not worth an index term.
_MAX_TERM = 64
_MAX_CLAUSES = 32

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f\u00ad])*")


@dataclass(frozen=True, slots=True)
class Term:
    text: str


@dataclass(frozen=True, slots=True)
class Phrase:
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Expr, ...]


Expr = Term | Phrase | All | AnyOf
# A split candidate: (number of parts, -sum of log frequencies, parts); smaller wins.
_Best = tuple[int, float, tuple[str, ...]]
Match = Literal["all", "any"]


def _load_words() -> dict[str, int]:
    text = resources.files("handwerkml.documents").joinpath("german_words.txt").read_text("utf-8")
    words: dict[str, int] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, count = line.split()
            words[word] = int(count)
    return words


class Analyzer:
    """Folding, stemming and compound splitting with one word list.

    The options exist for the measurements in docs/ingestion.md; the module
    functions use the defaults.
    """

    def __init__(
        self,
        words: dict[str, int],
        *,
        stem: bool = True,
        decompound: bool = True,
        particles: bool = True,
        guess: bool = True,
    ) -> None:
        self._stem = stem
        self._decompound = decompound
        self._particles = particles
        self._guess = guess
        self._log_freq = {w: math.log(1 + n) for w, n in words.items() if len(w) >= _MIN_PART}
        # Surface form → the word it stands for: a word ending in -e also appears
        # without it at the front of a compound (Kante → Kant-holz).
        self._forms: dict[str, str] = {}
        for word in sorted(self._log_freq):
            self._forms.setdefault(word, word)
            if word.endswith("e") and len(word) > _MIN_PART:
                self._forms.setdefault(word[:-1], word)
        self._longest = max((len(f) for f in self._forms), default=0)
        self.dictionary_split = functools.lru_cache(maxsize=65536)(self._dictionary_split)
        self.split = functools.lru_cache(maxsize=65536)(self._split)
        self.word_terms = functools.lru_cache(maxsize=65536)(self._word_terms)
        # Highlighting looks up every word of every hit: a search marks ten chunks.
        self.text_word_terms = functools.lru_cache(maxsize=65536)(self._text_word_terms)
        self.wanted_terms = functools.lru_cache(maxsize=1024)(self._wanted_terms)

    # -- words -----------------------------------------------------------------

    def stem(self, word: str) -> str:
        """A light stemmer: Fliese, Fliesen → fli; Türen, Tür → tur; Bäder → bad.

        Umlauts collapse to their vowel inside the stem, so the plurals that add
        one (Dach, Dächer) meet; both spellings of the query were folded before.
        Endings come off until none is left (lackieren → lackier → lacki), so a
        stem's stem is itself and a part stems like the whole word.
        """
        if not self._stem or not word.isalpha() or len(word) <= _MIN_PART:
            return word
        word = _UMLAUT_SPELLING.sub(lambda m: m[1][0], word)
        while True:
            shorter = _strip_ending(word)
            if shorter == word:
                return word
            word = shorter

    def _dictionary_split(self, word: str, exact_end: bool = False) -> tuple[str, ...]:
        """The parts, all list words, that cover the word entirely; () when there are none.
        The last part may be inflected (Fliesenkleber-n) unless `exact_end`."""
        if not self._decompound or len(word) < 2 * _MIN_PART:
            return ()
        memo: dict[int, _Best] = {}

        def best(start: int, first: bool) -> _Best:
            # Fewest parts win, then the most frequent parts (Koehn & Knight 2003),
            # then the alphabet, so the split never depends on iteration order.
            if not first and start in memo:
                return memo[start]
            candidates: list[_Best] = []
            for stop in range(start + _MIN_PART, min(len(word), start + self._longest) + 1):
                form = word[start:stop]
                part = self._forms.get(form)
                if part is None:
                    continue
                score, rest = self._log_freq[part], word[stop:]
                ending_ok = rest == "" or (rest in _ENDINGS and part == form and not exact_end)
                if not first and ending_ok:
                    candidates.append((1, -score, (part,)))
                # After an elided -e (Kant-holz) no linker follows: "Kanten…" is Kante-n.
                for linker in _LINKERS if part == form else ("",):
                    if rest.startswith(linker) and len(rest) - len(linker) >= _MIN_PART:
                        tail = best(stop + len(linker), False)
                        if tail[2]:
                            candidates.append((1 + tail[0], tail[1] - score, (part, *tail[2])))
            result = min(candidates, default=(0, 0.0, ()))
            if not first:
                memo[start] = result
            return result

        return best(0, True)[2]

    def _split(self, word: str, guess: bool) -> tuple[str, ...]:
        """A compound's parts. With `guess`, one part may be unknown (Zirkulations-pumpe):
        German capitalises nouns, and only there is that guess safe (not in "bodengleiche")."""
        found = self.dictionary_split(word)
        if found or not (guess and self._guess and self._decompound) or self._lemma(word):
            return found
        return self._head_split(word) or self._modifier_split(word)

    def _lemma(self, word: str) -> str | None:
        """The list word an inflected one stands for (pumpen → pumpe), if any."""
        for ending in _ENDINGS_SHORTEST_FIRST:
            base = word[: len(word) - len(ending)]
            if word.endswith(ending) and base in self._log_freq:
                return base
        return None

    def _head_split(self, word: str) -> tuple[str, ...]:
        # Unknown first part, known last one: Zirkulations-pumpe, Obentür-schließer.
        # The longest simple list word at the end wins (Geschoss-decke, not -ecke);
        # a compound head is found part by part, as the unknown rest splits again.
        for cut in range(_MIN_UNKNOWN, len(word) - _MIN_HEAD + 1):
            modifier, head = word[:cut], word[cut:]
            lemma = self._lemma(head)
            if lemma is None or len(lemma) < _MIN_HEAD or modifier.endswith(_INSEPARABLE):
                continue  # Fischgrät-ver-band is no "band"
            if modifier.endswith("s") and modifier[:-1].endswith(_FUGEN_S_BEFORE):
                modifier = modifier[:-1]
            return (modifier, lemma)
        return ()

    def _modifier_split(self, word: str) -> tuple[str, ...]:
        # Known first part, unknown last one: Regenwasser-nutzung, Gerüst-miete.
        # The longest known first part wins.
        for cut in range(len(word) - _MIN_UNKNOWN_HEAD, _MIN_MODIFIER - 1, -1):
            form = word[:cut]
            part = self._forms.get(form)
            # A compound first part must end where a linker or the head begins:
            # "Regenwassern-utzung" is Regenwasser-nutzung.
            if part is None and not self.dictionary_split(form, exact_end=True):
                continue
            for linker in _LINKERS if part in (None, form) else ("",):
                head = word[cut + len(linker) :]
                if (
                    word.startswith(linker, cut)
                    and len(head) >= _MIN_UNKNOWN_HEAD
                    and not head.startswith(_DERIVATIONS)
                ):
                    return (part or form, head)
        return ()

    def _strip_particle(self, word: str) -> str | None:
        if not self._particles or not self._decompound:
            return None
        for particle in _PARTICLES:
            rest = word[len(particle) :]
            if not word.startswith(particle) or len(rest) <= _MIN_PART:
                continue
            if rest in self._log_freq or self.dictionary_split(rest):
                return rest
        return None

    def parts(self, word: str, guess: bool = True) -> list[str]:
        """Every part a folded word is made of, nested ones too (Leimholz-platte → leimholz,
        platte, leim, holz), and the word without its particle (Abdichtung → dichtung)."""
        found: list[str] = []
        pending = [word]
        while pending:
            current = pending.pop(0)
            children = list(self.split(current, guess))
            rest = self._strip_particle(current)
            if rest is not None:
                children.append(rest)
            for child in children:
                if child not in found and child != word:
                    found.append(child)
                    pending.append(child)
        return found

    def leaves(self, word: str, guess: bool = True) -> tuple[str, ...]:
        """The smallest parts of a compound, what a query asks for instead of the whole."""
        split = self.split(word, guess)
        if not split:
            rest = self._strip_particle(word)
            # "Ausbau" must not turn into "bau"; "Aufsparrendämmung" may into its parts.
            return self.leaves(rest, guess) if rest and self.split(rest, guess) else ()
        out: list[str] = []
        for part in split:
            for leaf in self.leaves(part, guess) or (part,):
                if leaf not in out:
                    out.append(leaf)
        return tuple(out)

    def _word_terms(self, token: str, guess: bool) -> tuple[str, ...]:
        """The index terms of one folded token: its stem, then its parts' stems."""
        if len(token) > _MAX_TERM:
            return ()
        if not token.isalpha():
            return (token,)
        terms = [self.stem(token)]
        for part in self.parts(token, guess):
            stem = self.stem(part)
            if stem not in terms:
                terms.append(stem)
        return tuple(terms)

    # -- texts and queries -------------------------------------------------------

    def index_text(self, text: str) -> str:
        out: list[str] = []
        for chunk in _normalize(text).split():
            tokens = _tokens(chunk)
            # The tokens' own stems first, side by side, so that phrases
            # ("DN 100", "1,5") match; their parts after them.
            extra: list[str] = []
            for token, noun in tokens:
                terms = self.word_terms(token, noun)
                out.extend(terms[:1])
                extra.extend(terms[1:])
            if len(tokens) > 1 and all(t.isalpha() for t, _ in tokens):
                # Gipskarton-Ständerwand is also the one word Gipskartonständerwand.
                extra.extend(self.word_terms("".join(t for t, _ in tokens), tokens[0][1]))
            out.extend(extra)
        return " ".join(out)

    def parse(self, query: str, match: Match = "all") -> Expr | None:
        clauses: list[Expr] = []
        stopwords: list[Expr] = []
        for chunk in _normalize(query).split():
            tokens = [t for t, _ in _tokens(chunk) if len(t) <= _MAX_TERM]
            if not tokens:
                continue
            if any(t.isdigit() for t in tokens):
                stems = tuple(self.stem(t) for t in tokens)
                clauses.append(Phrase(stems) if len(stems) > 1 else Term(stems[0]))
            elif len(tokens) == 1:
                target = stopwords if tokens[0] in STOPWORDS else clauses
                target.append(self._word_clause(tokens[0]))
            else:
                joined = self._word_clause("".join(tokens))
                pieces = _all(tuple(self._word_clause(t) for t in tokens))
                clauses.append(_any((joined, pieces)))
        # A query of nothing but stopwords ("die") still searches for them.
        # A pasted paragraph is cut short: more required words only find less.
        unique = tuple(dict.fromkeys(clauses or stopwords))[:_MAX_CLAUSES]
        if not unique:
            return None
        return _any(unique) if match == "any" else _all(unique)

    def _word_clause(self, token: str) -> Expr:
        # Queries are typed in lower case as often as not: always guess. A wrong
        # guess costs little, the whole word is always one alternative.
        whole = Term(self.stem(token))
        leaves = self.leaves(token, guess=True)
        if not leaves:
            return whole
        stems = tuple(dict.fromkeys(self.stem(leaf) for leaf in leaves))
        return _any((whole, _all(tuple(Term(s) for s in stems))))

    def highlight(self, text: str, query: str) -> str:
        wanted = self.wanted_terms(query)
        spans = [m.span() for m in _WORD.finditer(text) if wanted & self.text_word_terms(m[0])]
        out: list[str] = []
        position = 0
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            # Neighbours apart only by a space or hyphen are one passage: "DN 100".
            if merged and re.fullmatch(r"[\s\-‐]{1,3}", text[merged[-1][1] : start]):
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        for start, end in merged:
            out.append(html.escape(text[position:start]))
            out.append(f"<mark>{html.escape(text[start:end])}</mark>")
            position = end
        out.append(html.escape(text[position:]))
        return "".join(out)

    def _text_word_terms(self, word: str) -> frozenset[str]:
        terms: set[str] = set()
        for token, noun in _tokens(_normalize(word)):
            terms.update(self.word_terms(token, noun))
        return frozenset(terms)

    def _wanted_terms(self, query: str) -> frozenset[str]:
        return frozenset(_terms(self.parse(query)))


def _normalize(text: str) -> str:
    # Composed umlauts and plain letters for ligatures (ﬁ) and superscripts (m²);
    # soft hyphens from PDF line breaks dropped, so "Gips\u00adkarton" is one word;
    # 30×60 written as 30x60.
    return unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("×", "x")


def _tokens(chunk: str) -> list[tuple[str, bool]]:
    """Folded letter runs and digit runs, each with whether its word was capitalised."""
    return [
        (folded, token[:1].isupper())
        for token in _TOKEN.findall(chunk)
        # Folding may leave more than letters (ŀ → l·): split again.
        for folded in _TOKEN.findall(fold(token))
    ]


def _strip_ending(word: str) -> str:
    for ending in _STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_PART:
            return word[: -len(ending)]
    # A bare -n or -s only after l and r: Ziegel-n, Kabel-s, Mauer-n; never the
    # stem's own letter (Beton, Gips, Lohn).
    if len(word) > _MIN_PART and word[-1] in "ns" and word[-2] in "lr":
        return word[:-1]
    return word


def _all(items: tuple[Expr, ...]) -> Expr:
    return items[0] if len(items) == 1 else All(items)


def _any(items: tuple[Expr, ...]) -> Expr:
    unique = tuple(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else AnyOf(unique)


def _terms(expr: Expr | None) -> Iterator[str]:
    if isinstance(expr, Term):
        yield expr.text
    elif isinstance(expr, Phrase):
        yield from expr.terms
    elif isinstance(expr, All | AnyOf):
        for item in expr.items:
            yield from _terms(item)


def render_fts5(expr: Expr) -> str:
    if isinstance(expr, Term):
        return '"' + expr.text.replace('"', '""') + '"'
    if isinstance(expr, Phrase):
        return '"' + " ".join(expr.terms).replace('"', '""') + '"'
    operator = " AND " if isinstance(expr, All) else " OR "
    return operator.join(_group(render_fts5(item), item) for item in expr.items)


def render_tsquery(expr: Expr) -> str:
    if isinstance(expr, Term):
        return _lexeme(expr.text)
    if isinstance(expr, Phrase):
        return "(" + " <-> ".join(_lexeme(t) for t in expr.terms) + ")"
    operator = " & " if isinstance(expr, All) else " | "
    return operator.join(_group(render_tsquery(item), item) for item in expr.items)


def _group(rendered: str, item: Expr) -> str:
    return f"({rendered})" if isinstance(item, All | AnyOf) else rendered


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


@functools.cache
def default_analyzer() -> Analyzer:
    return Analyzer(_load_words())


def _version() -> str:
    words = resources.files("handwerkml.documents").joinpath("german_words.txt").read_bytes()
    # Bump the number when the rules change; the word list's hash changes by itself.
    return f"1-{hashlib.sha256(words).hexdigest()[:12]}"


# Stored beside a keyword index: when it differs, index_text gives other terms
# and the index must be rebuilt from the chunks' texts.
ANALYZER_VERSION = _version()


def index_text(text: str) -> str:
    """The text's keyword form, for the FTS5 table or the tsvector column."""
    return default_analyzer().index_text(text)


def tenant_term(tenant_id: int) -> str:
    """An index term every chunk of the tenant carries (see documents/search.py): the
    full-text index itself narrows a search to the tenant instead of ranking every
    tenant's matches. Letters and digits only, one token to both engines."""
    return f"hwmltenant{tenant_id}"


def query_terms(query: str) -> list[str]:
    """Every index term the query may match, in query order (stems and compound parts)."""
    return list(dict.fromkeys(_terms(default_analyzer().parse(query))))


def fts5_match(query: str, match: Match = "all") -> str:
    """An FTS5 MATCH expression for the query; "" when it has no searchable word
    (then search nothing: an empty MATCH is a syntax error)."""
    expr = default_analyzer().parse(query, match)
    return render_fts5(expr) if expr else ""


def tsquery(query: str, match: Match = "all") -> str:
    """A `to_tsquery('simple', …)` argument for the query; "" when it has no searchable word."""
    expr = default_analyzer().parse(query, match)
    return render_tsquery(expr) if expr else ""


def highlight(text: str, query: str) -> str:
    """The text HTML-escaped, words matching the query in <mark>…</mark>."""
    return default_analyzer().highlight(text, query)
