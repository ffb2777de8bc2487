"""Price model benchmark: training time by size, accuracy on the demo data, HTTP latency.

    python bench/pricing.py [--sizes 1000,10000,100000] [--requests 300]
                            [--demo-projects 200] [--skip-description] [--skip-http]

* training: `pricing.model.train` (5-fold CV of the model and the baseline, conformal
  quantiles, final fit) on 1k, 10k and 100k projects made by the demo generator's
  documented price rule, without HTTP or database.
* accuracy: cross-validated MAPE, MAE and interval coverage on the demo business
  (600 projects of Holzwurm, 150 of Krause) against the baseline (median price per m²
  per type), with and without the interaction term, and on a second demo business
  it never saw.
* description: whether the description's embedding (multilingual-e5-small, reduced
  by SVD fitted in each training fold) lowers the cross-validated MAPE.
* http: POST /api/v1/predictions/predict through the in-process ASGI app (SQLite, the
  demo loaded and embedded, a model trained by the pricing.train job), one request
  at a time with descriptions it has not seen: p50/p95/p99 of the model path and of
  the similar-projects fallback (Krause, which has no model).

Writes bench/results/pricing.json and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import xgboost as xgb

from handwerkml.config import Settings
from handwerkml.demo.generator import generate
from handwerkml.pricing.features import Encoding, PriceInput
from handwerkml.pricing.model import (
    Baseline,
    LoadedModel,
    Params,
    _augmented,
    fold_ids,
    preprocessing_json,
    train,
)
from handwerkml.pricing.synthetic import demo_rows, finished_rows

HERE = Path(__file__).parent
RESULTS = HERE / "results"
TODAY = date(2026, 11, 25)
PASSWORD = "bench-password-1234"


def _mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    return round(float(np.mean(np.abs(predicted - actual) / actual)), 4)


def training_times(sizes: list[int], threads: int) -> list[dict[str, Any]]:
    # The process's first fit pays XGBoost's one-time start (seconds on a busy machine);
    # a small warm-up keeps it out of the 1k number.
    rows, prices = demo_rows(100, today=TODAY)
    train(rows, prices, Params(), reference=TODAY, coverage=0.8, threads=threads)
    out = []
    for size in sizes:
        started = time.perf_counter()
        rows, prices = demo_rows(size, today=TODAY)
        generated = time.perf_counter() - started
        params = Params.for_rows(len(rows))
        trained = train(rows, prices, params, reference=TODAY, coverage=0.8, threads=threads)
        evaluation = trained.evaluation
        out.append(
            {
                "projects": size,
                "finished_rows": len(rows),
                "generate_s": round(generated, 2),
                "train_s": round(trained.seconds, 2),
                "fits": "5 CV folds + final, each on 2 × rows (with and without costs)",
                "params": {"max_depth": params.max_depth, "n_estimators": params.n_estimators},
                "cv_mape": round(evaluation.new.mape, 4),
                "cv_mape_with_costs": round(evaluation.known.mape, 4),
                "baseline_mape": round(evaluation.baseline.mape, 4),
                "booster_kb": round(len(trained.booster) / 1024, 1),
            }
        )
        print(out[-1], flush=True)
    return out


def accuracy(threads: int) -> dict[str, Any]:
    data = generate(today=TODAY, seed=42, projects=600)
    unseen_rows, unseen_prices = finished_rows(
        generate(today=TODAY, seed=7, projects=600).tenants[0]
    )
    out: dict[str, Any] = {}
    for tenant in data.tenants:
        rows, prices = finished_rows(tenant)
        for label, params in (("default", Params()), ("interactions", Params(interactions=True))):
            trained = train(rows, prices, params, reference=TODAY, coverage=0.8, threads=threads)
            e = trained.evaluation
            entry = {
                "finished_projects": len(rows),
                "cv_enquiry": {
                    "mape": round(e.new.mape, 4),
                    "mae": round(e.new.mae, 2),
                    "coverage": round(e.new.coverage or 0, 4),
                },
                "cv_with_costs": {
                    "mape": round(e.known.mape, 4),
                    "mae": round(e.known.mae, 2),
                    "coverage": round(e.known.coverage or 0, 4),
                },
                "cv_baseline": {"mape": round(e.baseline.mape, 4), "mae": round(e.baseline.mae, 2)},
                "nominal_coverage": 0.8,
                "train_s": round(trained.seconds, 2),
            }
            if tenant.slug == "holzwurm" and label == "default":
                model = LoadedModel(trained.booster, preprocessing_json(trained))
                enquiry = [r.without_costs() for r in unseen_rows]
                held: dict[str, Any] = {"projects": len(unseen_rows)}
                for name, variant in (("enquiry", enquiry), ("with_costs", unseen_rows)):
                    price, low, high = model.intervals(variant)
                    held[name] = {
                        "mape": _mape(price, unseen_prices),
                        "coverage": round(
                            float(np.mean((low <= unseen_prices) & (unseen_prices <= high))), 4
                        ),
                    }
                base = Baseline.fit(rows, prices).prices(unseen_rows)
                held["baseline_mape"] = _mape(base, unseen_prices)
                entry["held_out_business"] = held
            out[f"{tenant.slug}/{label}"] = entry
            print(tenant.slug, label, entry, flush=True)
    return out


def _text_cv(
    rows: list[PriceInput], prices: np.ndarray, vectors: np.ndarray, dims: int, threads: int
) -> float:
    """The model's cross-validation with `dims` SVD components of the description added."""
    ids = fold_ids(len(rows), 5, 0)
    predicted = np.zeros(len(rows))
    params = Params()
    for fold in range(5):
        kept, held = np.flatnonzero(ids != fold), np.flatnonzero(ids == fold)
        train_rows = [rows[i] for i in kept]
        test_rows = [rows[i].without_costs() for i in held]
        encoding = Encoding.fit(train_rows, TODAY, interactions=False)
        baseline = Baseline.fit(train_rows, prices[kept])
        mean = vectors[kept].mean(axis=0)
        components = np.linalg.svd(vectors[kept] - mean, full_matrices=False)[2][:dims]

        def matrix(
            chosen: list[PriceInput],
            index: np.ndarray,
            mean: np.ndarray = mean,
            components: np.ndarray = components,
            encoding: Encoding = encoding,
            baseline: Baseline = baseline,
        ) -> xgb.DMatrix:
            extra = (vectors[index] - mean) @ components.T
            return xgb.DMatrix(
                np.column_stack([encoding.matrix(chosen), extra]),
                base_margin=np.log(baseline.prices(chosen)),
                feature_names=[*encoding.features, *(f"text_{i}" for i in range(dims))],
                feature_types=[*encoding.feature_types, *("q" for _ in range(dims))],
                enable_categorical=True,
            )

        augmented = _augmented(train_rows)
        dtrain = matrix(augmented, np.concatenate([kept, kept]))
        dtrain.set_label(np.log(np.concatenate([prices[kept]] * 2)))
        booster = xgb.train(params.booster_params(threads, 0), dtrain, params.n_estimators)
        predicted[held] = np.exp(booster.predict(matrix(test_rows, held), output_margin=True))
    return _mape(predicted, prices)


def description(models_dir: Path, threads: int) -> dict[str, Any]:
    from handwerkml.embeddings.prepare import DEFAULT_MODEL, DEFAULT_PRECISION, prepare_model
    from handwerkml.embeddings.providers.local import LocalModelOptions, LocalOnnxProvider

    tenant = generate(today=TODAY, seed=42, projects=600).tenants[0]
    finished = [p for p in tenant.projects if p.finalized_at is not None and p.final_price]
    rows, prices = finished_rows(tenant)
    provider = LocalOnnxProvider(
        LocalModelOptions(prepare_model(models_dir, DEFAULT_MODEL, DEFAULT_PRECISION))
    )
    started = time.perf_counter()
    texts = [f"{p.name}. {p.project_type}. {p.description}" for p in finished]
    vectors = np.asarray(provider.embed_sync(texts).vectors, dtype=np.float64)
    embed_s = time.perf_counter() - started
    out: dict[str, Any] = {"projects": len(rows), "embed_s": round(embed_s, 1), "cv_mape": {}}
    for dims in (0, 4, 8, 16):
        out["cv_mape"][str(dims)] = _text_cv(rows, prices, vectors, dims, threads)
        print("description dims", dims, out["cv_mape"][str(dims)], flush=True)
    return out


async def _http(settings: Settings, demo_projects: int, requests: int) -> dict[str, Any]:
    from handwerkml.app import create_app
    from handwerkml.auth.repository import TenantRepository
    from handwerkml.demo.loader import load_demo
    from handwerkml.pricing import service

    app = create_app(settings)
    out: dict[str, Any] = {"demo_projects": demo_projects}
    async with app.router.lifespan_context(app):
        from prometheus_client import CollectorRegistry

        from handwerkml.jobs.events import LocalEvents
        from handwerkml.jobs.metrics import JobMetrics
        from handwerkml.jobs.worker import Worker

        worker = Worker(
            database=app.state.database,
            settings=settings,
            events=LocalEvents(),
            metrics=JobMetrics(CollectorRegistry()),
            resources=app.state.resources,
            runner="bench",
        )
        async with app.state.database.write() as session:
            summary = await load_demo(session, settings, projects=demo_projects, seed=42)
            await session.commit()
        started = time.perf_counter()
        await worker.drain()
        out["embed_demo_s"] = round(time.perf_counter() - started, 1)
        async with app.state.database.write() as session:
            holzwurm = await TenantRepository(session).get_by_slug("holzwurm")
            assert holzwurm is not None
            await service.start_training(session, settings, holzwurm.id, {})
            await session.commit()
        started = time.perf_counter()
        await worker.drain()
        out["train_job_s"] = round(time.perf_counter() - started, 2)

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def token(email: str) -> dict[str, str]:
                response = await client.post(
                    "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                )
                response.raise_for_status()
                return {"Authorization": f"Bearer {response.json()['access_token']}"}

            unseen = generate(today=TODAY, seed=9, projects=max(requests, 400))
            for tenant, email in (
                (unseen.tenants[0], summary.admin_email),
                (unseen.tenants[1], "admin@krause.example.de"),
            ):
                headers = await token(email)
                bodies = [
                    {
                        "description": p.description,
                        "total_area_sqm": float(p.total_area_sqm),
                        "complexity": p.complexity,
                        "project_type": p.project_type,
                        "wood_type": p.wood_type,
                        "region": p.region,
                    }
                    for p in tenant.projects
                ]
                timings, methods = [], []
                for n in range(min(requests, len(bodies)) + 20):
                    body = bodies[n % len(bodies)]
                    begun = time.perf_counter()
                    response = await client.post(
                        "/api/v1/predictions/predict", json=body, headers=headers
                    )
                    elapsed = (time.perf_counter() - begun) * 1000
                    if n >= 20:  # warm-up: model load, first embedding
                        timings.append(elapsed)
                        methods.append(
                            response.json()["method"] if response.status_code == 200 else "422"
                        )
                timings.sort()
                out[tenant.slug] = {
                    "requests": len(timings),
                    "methods": {m: methods.count(m) for m in set(methods)},
                    "p50_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
                    "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
                }
                print(tenant.slug, out[tenant.slug], flush=True)
    return out


def http(models_dir: Path, demo_projects: int, requests: int) -> dict[str, Any]:
    from handwerkml.db.migrate import upgrade
    from handwerkml.embeddings.prepare import DEFAULT_MODEL, DEFAULT_PRECISION, prepare_model

    prepare_model(models_dir, DEFAULT_MODEL, DEFAULT_PRECISION)
    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(
            environment="production",
            database_url=f"sqlite+aiosqlite:///{workdir}/bench.db",
            data_dir=Path(workdir) / "var",
            models_dir=models_dir,
            secret_key="bench-secret-key-that-is-long-enough-for-hs256",
            demo_admin_password=PASSWORD,
            embedding_threads=int(os.environ.get("HANDWERKML_EMBEDDING_THREADS", "0")),
            job_workers=0,
            _env_file=None,
        )
        # Alembic's env runs its own event loop: migrate before ours starts.
        upgrade(settings)
        return asyncio.run(_http(settings, demo_projects, requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--demo-projects", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--skip-description", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "xgboost": xgb.__version__,
            "platform": platform.platform(),
        },
        "threads": args.threads,
        "command": " ".join(["python", *sys.argv]),
        "training": training_times([int(s) for s in args.sizes.split(",")], args.threads),
        "accuracy": accuracy(args.threads),
    }
    if not args.skip_description:
        report["description"] = description(args.models_dir, args.threads)
    if not args.skip_http:
        report["http"] = http(args.models_dir, args.demo_projects, args.requests)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pricing.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
