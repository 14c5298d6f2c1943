"""Fine-tune a sentence-transformers encoder on (query, positive[, hard negative]) text pairs.

The loss is sentence-transformers' ``MultipleNegativesRankingLoss`` (InfoNCE with in-batch
negatives plus the pair's hard negative when given; van den Oord et al. 2018, Henderson et al.
2017). The loop is a plain torch loop over the loss module, so training needs neither
``datasets`` nor ``accelerate``; batches never hold the same positive twice (it would be a
false in-batch negative). Defaults finish in minutes on 2 CPU cores for a few hundred pairs.

This module knows texts only: where pairs come from (labelled sets, feedback) and how hard
negatives are mined from an index is the caller's business (``eval.training``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CONFIG_FILE = "train_config.json"


@dataclass(frozen=True)
class TrainingPair:
    """A query, a passage that answers it, and optionally a passage that looks close but does not."""

    query: str
    positive: str
    negative: str | None = None


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a fine-tuning run (CPU-friendly defaults)."""

    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_seq_length: int = 160
    scale: float = 20.0
    seed: int = 0
    max_pairs: int | None = 600
    use_negatives: bool = True
    freeze_embeddings: bool = True
    threads: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced: the model folder, how many pairs and steps, the losses and the time."""

    model_dir: Path
    n_pairs: int
    n_steps: int
    losses: tuple[float, ...]
    seconds: float
    config: TrainConfig
    pairs_sha256: str


def pairs_sha256(pairs: Sequence[TrainingPair]) -> str:
    """Checksum of the training pairs, in order (recorded with the model)."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(json.dumps([pair.query, pair.positive, pair.negative], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def hard_negatives_from_scores(
    scores: np.ndarray, positives: Sequence[set[int]], *, skip: int = 0, allowed: np.ndarray | None = None
) -> list[int | None]:
    """For each row, the best-scoring column that is not a positive (after skipping ``skip`` such columns).

    ``scores`` is (n_queries × n_passages) from any retriever (BM25, the current dense index);
    ``allowed`` masks the columns that may be used (for instance: training documents only).
    Skipping the very top non-positives avoids unlabelled true answers. None when nothing qualifies.
    """
    if scores.shape[0] != len(positives):
        raise ValueError(f"{scores.shape[0]} score rows for {len(positives)} positive sets")
    chosen: list[int | None] = []
    for row, pos in enumerate(positives):
        order = np.argsort(-scores[row], kind="stable")
        found = [int(c) for c in order if int(c) not in pos and (allowed is None or allowed[c])]
        chosen.append(found[skip] if len(found) > skip else (found[-1] if found else None))
    return chosen


def batches_without_duplicates(
    pairs: Sequence[TrainingPair], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffle pair indices into batches in which no positive (or negative) text repeats."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    open_batches: list[tuple[list[int], set[str]]] = []
    for index in order:
        texts = {pairs[index].positive, pairs[index].query} | {n for n in [pairs[index].negative] if n}
        for batch, seen in open_batches:
            if len(batch) < batch_size and not texts & seen:
                batch.append(index)
                seen |= texts
                break
        else:
            open_batches.append(([index], set(texts)))
        full = [b for b in open_batches if len(b[0]) >= batch_size]
        batches.extend(b[0] for b in full)
        open_batches = [b for b in open_batches if len(b[0]) < batch_size]
    batches.extend(b[0] for b in open_batches if len(b[0]) >= 2)
    return batches


def fine_tune(
    model_dir: Path,
    pairs: Sequence[TrainingPair],
    out_dir: Path,
    config: TrainConfig = TrainConfig(),
    *,
    progress: bool = True,
    extra_config: dict[str, Any] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fine-tune the sentence-transformers model in ``model_dir`` on ``pairs``; save it to ``out_dir``.

    The e5 prompts configured in the model (``query: `` / ``passage: ``) are applied to queries and
    passages. The run's config, data checksum and losses are saved as ``train_config.json``.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.losses import MultipleNegativesRankingLoss  # type: ignore[no-redef]
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    if len(pairs) < 2:
        raise ValueError(f"fine-tuning needs at least 2 training pairs, got {len(pairs)}")
    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    pairs = list(pairs)
    if config.max_pairs is not None and len(pairs) > config.max_pairs:
        pairs = rng.sample(pairs, config.max_pairs)
    use_negatives = config.use_negatives and all(p.negative for p in pairs)

    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = config.max_seq_length
    prompts = getattr(model, "prompts", None) or {}
    query_prompt = prompts.get("query", "query: ")
    passage_prompt = prompts.get("passage", "passage: ")
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale)
    if config.freeze_embeddings:
        # The 250k-token embedding table is 80% of e5-small's weights: frozen, a step is cheaper,
        # AdamW keeps no state for it, and a few hundred pairs cannot move rare tokens usefully.
        for name, parameter in model.named_parameters():
            if "embeddings.word_embeddings" in name:
                parameter.requires_grad_(False)

    plan = [batches_without_duplicates(pairs, config.batch_size, rng) for _ in range(config.epochs)]
    n_steps = sum(len(epoch) for epoch in plan)
    if n_steps == 0:
        raise ValueError("no training batch could be formed (every pair shares its positive with the others)")
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(n_steps * config.warmup_ratio), n_steps)

    preprocess = getattr(model, "preprocess", None) or model.tokenize

    def features(texts: list[str]) -> dict[str, Any]:
        return preprocess(texts)

    losses: list[float] = []
    model.train()
    bar = tqdm(total=n_steps, desc="fine-tuning", unit="step", disable=not progress)
    step = 0
    for epoch in plan:
        for batch in epoch:
            chosen = [pairs[i] for i in batch]
            columns = [
                [query_prompt + p.query for p in chosen],
                [passage_prompt + p.positive for p in chosen],
            ]
            if use_negatives:
                columns.append([passage_prompt + (p.negative or "") for p in chosen])
            loss = loss_fn([features(texts) for texts in columns], torch.zeros(len(chosen)))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            value = float(loss.detach())
            losses.append(value)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3f}")
            if on_step is not None:
                on_step(step, value)
    bar.close()
    model.eval()

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    checksum = pairs_sha256(pairs)
    seconds = time.perf_counter() - started
    record = {
        "config": config.to_dict(),
        "base_model": str(model_dir),
        "n_pairs": len(pairs),
        "n_steps": n_steps,
        "used_negatives": use_negatives,
        "pairs_sha256": checksum,
        "losses": [round(x, 5) for x in losses],
        "seconds": round(seconds, 1),
        "torch": torch.__version__,
        **(extra_config or {}),
    }
    (out_dir / CONFIG_FILE).write_text(
        json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return TrainResult(out_dir, len(pairs), n_steps, tuple(losses), seconds, config, checksum)
