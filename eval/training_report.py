"""What a training run writes for people: the promotion note and the ``training`` section of docs/benchmarks.md."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from eval.retrain import training_markdown
from eval.training_compare import EligibilityComparison, RetrievalComparison, helped_sentence


def promotion_note(models_dir: Path, version: str) -> str:
    """Say what the promotion rule decides for ``version`` against the active model, and what ``models promote`` recorded."""
    from models.promote import PROMOTION, decide_promotion, evaluations_of
    from models.registry import ModelRegistry

    registry = ModelRegistry(models_dir)
    entry = registry.get(version)
    recorded = dict(entry.metrics.get(PROMOTION) or {})
    lines = []
    if recorded:
        lines.append(
            f"`policymatch models promote {version}` ({recorded.get('at', '')}, active was `{recorded.get('active_before')}`): "
            f"{recorded.get('outcome')} — “{recorded.get('message')}”"
        )
    active = registry.active_version()
    if active and active != version:
        decision = decide_promotion(
            version, evaluations_of(entry), active, evaluations_of(registry.get(active))
        )
        verdict = "promotable" if decision.allowed else "refused: " + "; ".join(decision.reasons)
        lines.append(f"The promotion rule against the active `{active}` now: {verdict}.")
    else:
        lines.append(
            f"`{version}` is the active version of this registry (history: {', '.join(registry.history()) or 'none'})."
        )
    return "\n\n".join(lines)


def training_section(
    models_dir: Path,
    version: str,
    retrieval: Sequence[RetrievalComparison],
    eligibility: Sequence[EligibilityComparison] = (),
    *,
    command: str = "",
    docs: Path = Path("docs"),
    image_prefix: str = "training",
    notes: Sequence[str] = (),
) -> str:
    """Write the ``training`` section of docs/benchmarks.md: run, data, leakage, before/after tables and plots, verdict, promotion.

    Plots are copied to ``docs/img/{image_prefix}-{part}-recall_at_k.png``.
    """
    from eval.benchfile import machine_description
    from eval.report import markdown_table
    from models.registry import ModelRegistry

    entry = ModelRegistry(models_dir).get(version)
    config_path = entry.path / "train_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    parts = [
        "## Training",
        f"Machine: {machine_description()}.",
        *([f"Command (as run): {command if '`' in command else f'`{command}`'}"] if command else []),
        training_markdown(models_dir, version).split("\n\nPromotion rule:")[0],
    ]
    leakage = dict(config.get("leakage") or {})
    if leakage:
        rows = [
            [
                name,
                r.get("n_train_members"),
                r.get("n_train_groups"),
                r.get("n_test_groups"),
                r.get("n_leaked"),
                "ok" if r.get("ok") else "LEAKED",
            ]
            for name, r in leakage.items()
        ]
        parts.append(
            "Data and leakage guard (split by document: seed "
            f"{(config.get('split') or {}).get('seed')}, test fraction {(config.get('split') or {}).get('test_fraction')}; "
            "training members are questions per set, pairs for `all`):\n\n"
            + markdown_table(
                ["source", "training members", "training documents", "test documents", "leaked", "guard"],
                rows,
            )
        )
    verdicts = []
    for comparison in retrieval:
        run = comparison.run
        slug = comparison.report_dir.name
        image = docs / "img" / f"{image_prefix}-{slug}-recall_at_k.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(comparison.report_dir / "recall_at_k.png", image)
        parts.append(
            f"### `{run.set_name}`: {run.n_queries} held-out questions over {run.n_docs} documents (set sha256 `{run.set_sha256[:16]}`)\n\n"
            f"Dense reads each document in {run.extra.get('dense_chunks')} (a document scores its best window) "
            f"through `{run.extra.get('encoder_backend')}`; `hybrid:V` is the served `HybridRetriever` with version V; `fusion-*:V` fuse BM25 "
            f"and `dense:V` over the whole collection. One question is {1 / max(run.n_queries, 1):.4f} of recall.\n\n"
            + run.summary_markdown()
            + f"\n\n![{run.set_name} before / after]({image.relative_to(docs)})"
        )
        backend = run.extra.get("encoder_backend")
        verdicts.append(
            f"- `{run.set_name}`:\n"
            + "\n".join(
                "  - " + helped_sentence(run, before, after, paired=comparison.pair(before, after)) + "."
                for before, after in [(p.before, p.after) for p in comparison.paired]
                or [
                    (f"dense:{comparison.parent}@{backend}", f"dense:{comparison.version}@{backend}"),
                    (f"hybrid:{comparison.parent}", f"hybrid:{comparison.version}"),
                    (f"fusion-zscore:{comparison.parent}", f"fusion-zscore:{comparison.version}"),
                ]
            )
        )
    for elig in eligibility:
        rows = []
        for v, erun in elig.runs.items():
            m = erun.metrics()
            directions = m["directions"]
            rows.append(
                [
                    v,
                    m["verdict_accuracy"],
                    m["eligible_precision"],
                    m["eligible_recall"],
                    *(directions.get(d, {}).get("ndcg@10") for d in sorted(directions)),
                ]
            )
        first = next(iter(elig.runs.values()))
        names = sorted(first.metrics()["directions"])
        parts.append(
            f"### Eligibility on `{first.set_name}`, held-out items ({first.n_items} items × {first.n_profiles} profiles, "
            f"set sha256 `{first.set_sha256[:16]}`), each version's encoder judging `semantic` conditions\n\n"
            + markdown_table(
                [
                    "version",
                    "verdict accuracy",
                    "eligible precision",
                    "eligible recall",
                    *(f"nDCG@10 {d}" for d in names),
                ],
                rows,
            )
        )
    if verdicts:
        parts.append("**Did fine-tuning help?** (computed from the tables above)\n\n" + "\n".join(verdicts))
    parts.append("**Promotion.** " + promotion_note(models_dir, version))
    parts += [note.strip() for note in notes if note.strip()]
    return "\n\n".join(parts)
