"""`handwerkml embeddings prepare|info`: make the local embedding model ready offline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from handwerkml.cli._output import fail
from handwerkml.config import get_settings
from handwerkml.embeddings.prepare import (
    CATALOG,
    DEFAULT_MODEL,
    DEFAULT_PRECISION,
    Manifest,
    ModelSourceMissingError,
    Precision,
    is_prepared,
    model_dir,
    prepare_model,
)

app = typer.Typer(help="The local embedding model.", no_args_is_help=True)

ModelName = Annotated[str, typer.Option("--model", help=f"One of: {', '.join(CATALOG)}.")]
PrecisionOption = Annotated[
    str, typer.Option("--precision", help="int8 (faster, the default) or fp32.")
]
ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models-dir", help="Where prepared models live.", show_default="DATA_DIR/models"
    ),
]


def _models_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().data_dir / "models"


def _precision(value: str) -> Precision:
    if value == "int8":
        return "int8"
    if value == "fp32":
        return "fp32"
    fail(f"unknown precision {value!r}: use int8 or fp32")
    return None


@app.command()
def prepare(
    model: ModelName = DEFAULT_MODEL,
    precision: PrecisionOption = DEFAULT_PRECISION,
    models_dir: ModelsDir = None,
    force: Annotated[bool, typer.Option("--force", help="Convert again even if ready.")] = False,
) -> None:
    """Convert the packaged model to ONNX once (about 5 s); later starts only load it."""
    if model not in CATALOG:
        fail(f"unknown model {model!r}: use one of {', '.join(CATALOG)}")
    directory = _models_dir(models_dir)
    started = time.perf_counter()
    try:
        target = prepare_model(directory, model, _precision(precision), force=force)
    except ModelSourceMissingError as error:
        fail(f"{error}: pip install {error.package}")
    manifest = Manifest.read(target)
    typer.echo(
        f"{manifest.model_id} ({manifest.dimension}-d) ready in {target} "
        f"({time.perf_counter() - started:.1f} s)"
    )


@app.command()
def info(models_dir: ModelsDir = None) -> None:
    """List the models that can be prepared and those that are ready."""
    directory = _models_dir(models_dir)
    for name, spec in CATALOG.items():
        for precision in ("int8", "fp32"):
            target = model_dir(directory, name, precision)
            if is_prepared(target):
                manifest = Manifest.read(target)
                state = (
                    f"ready: {manifest.model_id}, {manifest.dimension}-d, "
                    f"from {manifest.source_package} {manifest.source_version}"
                )
            else:
                state = "not prepared"
            typer.echo(f"{name} [{precision}] (package {spec.package}): {state}")
