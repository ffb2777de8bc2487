"""Keyword search for German: which analysis finds the right passages.

    python bench/keywords.py

Every approach indexes the passages of tests/documents/german_keywords.json in a
real SQLite FTS5 table and runs every query (all query words required, BM25
order). Reported per approach: recall (relevant passages matched / relevant
passages), precision (relevant matched / all matched), recall@5 in BM25 order,
MRR, and recall per query kind (compound, umlaut, ß, hyphen, number,
inflection). Results go to bench/results/keywords-<time>.json and stdout; the
table is in docs/ingestion.md ("Keyword search").
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handwerkml.documents.keywords import (
    STOPWORDS,
    Analyzer,
    _load_words,
    _strip_ending,
    fold,
    render_fts5,
)

HERE = Path(__file__).parent
RESULTS = HERE / "results"
TEST_SET = HERE.parent / "tests" / "documents" / "german_keywords.json"
# Written after the word list was frozen (the rules for unknown parts came after
# it), and after everything was frozen: the honest numbers for unseen words.
HOLDOUT = HERE.parent / "tests" / "documents" / "german_keywords_holdout.json"
FRESH = HERE.parent / "tests" / "documents" / "german_keywords_fresh.json"


@dataclass(frozen=True)
class Approach:
    name: str
    tokenize: str
    index: Callable[[str], str]
    match: Callable[[str], str]


def _quoted_and(terms: list[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOPWORDS]


def _analyzed(analyzer: Analyzer) -> Approach:
    def match(query: str) -> str:
        expr = analyzer.parse(query)
        return render_fts5(expr) if expr else ""

    return Approach("", "unicode61", analyzer.index_text, match)


def _strip_endings(word: str) -> str:
    # The stemmer without its umlaut collapse: the trigram index keeps "ae".
    while (shorter := _strip_ending(word)) != word:
        word = shorter
    return word


def _trigram(stem: bool) -> Approach:
    # Substrings of the folded text; FTS5's trigram tokenizer cannot match fewer
    # than 3 characters, so shorter query words are left out.
    def match(query: str) -> str:
        words = [fold(w) for w in _words(query)]
        if stem:
            words = [_strip_endings(w) for w in words]
        return _quoted_and([w for w in words if len(w) >= 3])

    return Approach("", "trigram", fold, match)


def approaches() -> list[Approach]:
    words = _load_words()
    plain = Approach(
        "",
        "unicode61 remove_diacritics 2",
        lambda text: text,
        lambda query: _quoted_and(_words(query)),
    )

    def with_prefix(analyzer: Analyzer) -> Approach:
        def match(query: str) -> str:
            stems = [analyzer.stem(fold(w)) for w in _words(query)]
            return " AND ".join(f'"{s}"*' for s in stems)

        return Approach("", "unicode61", analyzer.index_text, match)

    named = [
        ("words (unicode61, accents removed)", plain),
        ("folded", _analyzed(Analyzer(words, stem=False, decompound=False))),
        ("folded + stem", _analyzed(Analyzer(words, decompound=False))),
        ("folded + stem, prefix query", with_prefix(Analyzer(words, decompound=False))),
        ("trigram (folded substrings)", _trigram(stem=False)),
        ("trigram, stemmed query", _trigram(stem=True)),
        (
            "folded + stem + compounds",
            _analyzed(Analyzer(words, particles=False, guess=False)),
        ),
        (
            "folded + stem + compounds + particles",
            _analyzed(Analyzer(words, guess=False)),
        ),
        ("… + unknown first or last part (default)", _analyzed(Analyzer(words))),
    ]
    return [Approach(name, a.tokenize, a.index, a.match) for name, a in named]


def evaluate(approach: Approach, test_set: dict[str, Any]) -> dict[str, Any]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize='{approach.tokenize}')")
    ids = sorted(test_set["documents"])
    started = time.perf_counter()
    db.executemany(
        "INSERT INTO t(rowid, body) VALUES (?, ?)",
        [(n, approach.index(test_set["documents"][doc])) for n, doc in enumerate(ids)],
    )
    index_ms = (time.perf_counter() - started) * 1000
    found = relevant = matched = hits = 0
    reciprocal = recall_at_5 = 0.0
    by_kind: dict[str, list[float]] = {}
    misses: list[str] = []
    extra: list[str] = []
    for case in test_set["queries"]:
        expression = approach.match(case["query"])
        rows = (
            db.execute(
                "SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t), rowid", (expression,)
            ).fetchall()
            if expression
            else []
        )
        ranked = [ids[row[0]] for row in rows]
        wanted = set(case["relevant"])
        good = wanted & set(ranked)
        found += len(good)
        relevant += len(wanted)
        matched += len(ranked)
        hits += len(good)
        recall_at_5 += len(wanted & set(ranked[:5])) / len(wanted)
        first = next((i for i, doc in enumerate(ranked, 1) if doc in wanted), None)
        reciprocal += 1 / first if first else 0.0
        by_kind.setdefault(case["kind"], []).append(len(good) / len(wanted))
        if good != wanted:
            misses.append(f"{case['query']}: missed {sorted(wanted - good)}")
        if set(ranked) - wanted:
            extra.append(f"{case['query']}: also {sorted(set(ranked) - wanted)}")
    queries = len(test_set["queries"])
    return {
        "approach": approach.name,
        "recall": round(found / relevant, 3),
        "precision": round(hits / matched, 3) if matched else 0.0,
        "recall_at_5": round(recall_at_5 / queries, 3),
        "mrr": round(reciprocal / queries, 3),
        "recall_by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())},
        "index_ms": round(index_ms, 1),
        "misses": misses,
        "false_matches": extra,
    }


def demo_texts() -> list[str]:
    from datetime import date

    from handwerkml.demo.generator import generate

    data = generate(today=date(2024, 1, 1), seed=7, projects=2000)
    return [f"{p.name}\n{p.description}" for tenant in data.tenants for p in tenant.projects] + [
        m.name for tenant in data.tenants for m in tenant.materials
    ]


def index_cost(approach: Approach, texts: list[str]) -> dict[str, Any]:
    """Index size and time over the demo data's project and article texts."""
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize='{approach.tokenize}')")
    started = time.perf_counter()
    rows = [(approach.index(text),) for text in texts]
    analysed = time.perf_counter()
    db.executemany("INSERT INTO t(body) VALUES (?)", rows)
    db.commit()
    done = time.perf_counter()
    pages = (
        db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    )
    source = sum(len(t.encode()) for t in texts)
    return {
        "texts": len(texts),
        "text_kib": round(source / 1024),
        "index_kib": round(pages / 1024),
        "analyse_ms": round((analysed - started) * 1000),
        "insert_ms": round((done - analysed) * 1000),
    }


def main() -> None:
    test_set = json.loads(TEST_SET.read_text(encoding="utf-8"))
    holdout = json.loads(HOLDOUT.read_text(encoding="utf-8"))
    fresh = json.loads(FRESH.read_text(encoding="utf-8"))
    texts = demo_texts()
    results = [
        evaluate(a, test_set)
        | {
            "holdout": evaluate(a, holdout),
            "fresh": evaluate(a, fresh),
            "cost": index_cost(a, texts),
        }
        for a in approaches()
    ]
    print(
        f"{len(test_set['documents'])} passages, {len(test_set['queries'])} queries, "
        f"{sum(len(q['relevant']) for q in test_set['queries'])} relevant pairs"
    )
    print(f"{'approach':40} {'recall':>6} {'prec':>6} {'R@5':>6} {'MRR':>6}")
    for r in results:
        print(
            f"{r['approach']:40} {r['recall']:6.3f} {r['precision']:6.3f} "
            f"{r['recall_at_5']:6.3f} {r['mrr']:6.3f}  {r['recall_by_kind']}"
        )
    for key, test in (("holdout", holdout), ("fresh", fresh)):
        print(f"\n{key}: {len(test['documents'])} passages, {len(test['queries'])} queries")
        for r in results:
            h = r[key]
            print(
                f"{r['approach']:40} {h['recall']:6.3f} {h['precision']:6.3f} "
                f"{h['recall_at_5']:6.3f} {h['mrr']:6.3f}"
            )
    print()
    for r in results:
        print(f"{r['approach']:40} {r['cost']}")
    for r in results[-4:]:
        print(f"\n{r['approach']}:")
        for line in r["misses"] + r["false_matches"]:
            print("  ", line)
        for key in ("holdout", "fresh"):
            for line in r[key]["misses"] + r[key]["false_matches"]:
                print(f"   {key}:", line)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"keywords-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n→ {out}")


if __name__ == "__main__":
    main()
