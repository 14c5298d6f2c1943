"""How well can the readers at hand tell whom an item is for? Item-level AUC by feature set (issue 14).

Whether an item is offered to enterprises (``for_enterprises`` in a policy document) decides most wrong
pairs on the held-out splits. This measures the ceiling of the models that can be built here, item by item
(not weighted by pairs, which lets one national item swing a figure by 430 pairs):

- ``ngrams``: character uni- and bigrams of the item's opening (what the shipped item model reads);
- ``e5``: the served encoder's passage vector of the item's opening;
- ``e5+doc``: that vector beside the vector of its document's opening (whom the document addresses);
- combinations, each a logistic regression at two strengths;
- ``--fine-tune``: the served encoder itself fine-tuned as a classifier (CPU, a few minutes an epoch).

Each is scored by cross-validation over tune documents and, fitted on all of tune, on check (unseen
text: AUC and accuracy only, no item is printed). ``python -m eval.offering_features [--fine-tune]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

OPENING = 250  # characters of an item the n-grams read (the shipped model's opening)
VECTOR_OPENING = 400  # characters of an item, and 300 of its document, the encoder reads
STRENGTHS = (0.1, 1.0)
FEATURE_SETS = ("ngrams", "e5", "ngrams+e5", "e5+doc", "ngrams+e5+doc")


def rows(corpus: Any, split: str) -> list[tuple[str, str, str, int]]:
    """(document key, item text, document text, offered to enterprises) for every item of a policy document."""
    out = []
    for item in corpus.items:
        document = corpus.documents[item.doc]
        if item.split != split or document.record.get("is_policy") is False:
            continue
        offered = int(item.for_enterprises)
        out.append((item.doc, item.text.strip(), document.text, offered))
    return out


def _features(
    kind: str, fit: Sequence[int], use: Sequence[int], texts: Sequence[str], vectors: dict[str, Any]
):
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import CountVectorizer

    parts_fit, parts_use = [], []
    if "ngrams" in kind:
        vec = CountVectorizer(analyzer="char", ngram_range=(1, 2), binary=True, max_features=3000)
        vec.fit([texts[i][:OPENING] for i in fit])
        parts_fit.append(vec.transform([texts[i][:OPENING] for i in fit]))
        parts_use.append(vec.transform([texts[i][:OPENING] for i in use]))
    # Vectors are unit length; scaled so that one weight per dimension is worth about one n-gram's.
    for name in ("e5", "doc"):
        if name in kind.split("+"):
            parts_fit.append(csr_matrix(vectors[name][list(fit)] * 3))
            parts_use.append(csr_matrix(vectors[name][list(use)] * 3))
    return hstack(parts_fit).tocsr(), hstack(parts_use).tocsr()


def logistic_table(tune: Sequence[tuple], check: Sequence[tuple], encoder: Any) -> list[list[Any]]:
    """Tune-CV and check AUC (and check accuracy at 0.5) of each feature set and strength."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    both = [*tune, *check]
    texts = [r[1] for r in both]
    vectors = {
        "e5": np.asarray(encoder.encode_passages([r[1][:VECTOR_OPENING] for r in both])),
        "doc": np.asarray(encoder.encode_passages([r[2][:300] for r in both])),
    }
    y = np.array([r[3] for r in both])
    n = len(tune)
    on_tune, on_check = list(range(n)), list(range(n, len(both)))
    table = []
    for kind in FEATURE_SETS:
        for strength in STRENGTHS:
            held_out = np.zeros(n)
            for fit, use in GroupKFold(5).split(on_tune, y[:n], [r[0] for r in tune]):
                x_fit, x_use = _features(kind, fit, use, texts, vectors)
                model = LogisticRegression(C=strength, max_iter=3000).fit(x_fit, y[fit])
                held_out[use] = model.predict_proba(x_use)[:, 1]
            x_fit, x_use = _features(kind, on_tune, on_check, texts, vectors)
            p = LogisticRegression(C=strength, max_iter=3000).fit(x_fit, y[:n]).predict_proba(x_use)[:, 1]
            table.append([
                kind, strength, f"{roc_auc_score(y[:n], held_out):.3f}",
                f"{roc_auc_score(y[n:], p):.3f}", f"{((p >= 0.5) == y[n:]).mean():.3f}",
            ])  # fmt: skip
    return table


def fine_tune_table(
    tune: Sequence[tuple], check: Sequence[tuple], model_dir: Path, epochs: int = 3
) -> list[list[Any]]:
    """Fine-tune the served encoder (mean pooling, one linear unit) on tune; check AUC and accuracy after each epoch."""
    import torch
    from sklearn.metrics import roc_auc_score
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    groups = [{"params": encoder.parameters(), "lr": 3e-5}, {"params": head.parameters(), "lr": 1e-3}]
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)

    def logits(texts: list[str]) -> Any:
        batch = tokenizer(["passage: " + t[:300] for t in texts], padding=True, truncation=True,
                          max_length=160, return_tensors="pt")  # fmt: skip
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    y_check = np.array([r[3] for r in check])
    table = []
    for epoch in range(epochs):
        order = np.random.RandomState(epoch).permutation(len(tune))
        encoder.train()
        for start in range(0, len(order), 16):
            batch = [tune[i] for i in order[start : start + 16]]
            target = torch.tensor([float(r[3]) for r in batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits([r[1] for r in batch]), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        encoder.eval()
        with torch.no_grad():
            p = np.concatenate([
                torch.sigmoid(logits([r[1] for r in check[i : i + 32]])).numpy() for i in range(0, len(check), 32)
            ])  # fmt: skip
        table.append([f"fine-tuned e5, epoch {epoch + 1}", "—", "—",
                      f"{roc_auc_score(y_check, p):.3f}", f"{((p >= 0.5) == y_check).mean():.3f}"])  # fmt: skip
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Print the AUC table (shipped model, logistic feature sets, and with ``--fine-tune`` the tuned encoder)."""
    from sklearn.metrics import roc_auc_score

    from eval.real_corpus import LABELS_DIR, load_corpus
    from eval.report import markdown_table
    from matcher.extraction.offered import offered_probability
    from models.bootstrap import ensure_default_model
    from models.factory import make_encoder

    parser = argparse.ArgumentParser(
        prog="python -m eval.offering_features", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument(
        "--fine-tune", action="store_true", help="also fine-tune the served encoder (CPU, ~10 min)"
    )
    # The service's defaults (api.settings: data_dir ./var, the int8 ONNX encoder), named here: eval sits below api.
    parser.add_argument("--models", type=Path, default=Path("var/models"), help="the model registry")
    parser.add_argument("--backend", default="onnx-int8", help="how the served encoder runs")
    args = parser.parse_args(argv)
    model_dir = ensure_default_model(args.models, progress=False)
    corpus = load_corpus(LABELS_DIR, args.shared)
    tune, check = rows(corpus, "tune"), rows(corpus, "check")
    shipped = np.array([offered_probability(r[1]) for r in check])
    y_check = np.array([r[3] for r in check])
    table = [["shipped item model", "—", "—", f"{roc_auc_score(y_check, shipped):.3f}",
              f"{((shipped >= 0.5) == y_check).mean():.3f}"]]  # fmt: skip
    table += logistic_table(tune, check, make_encoder(args.backend, "active", args.models))
    if args.fine_tune:
        table += fine_tune_table(tune, check, Path(model_dir))
    header = ["features", "C", "tune AUC (5-fold CV by document)", "check AUC", "check accuracy at 0.5"]
    sys.stdout.write(
        f"items: tune {len(tune)}, check {len(check)}\n\n" + markdown_table(header, table) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
