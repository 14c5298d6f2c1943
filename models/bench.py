"""Encoder speed measurements (throughput, single-text latency) and dense rankings for recall.

Pure measurement over any ``Encoder``; ``policymatch bench encode`` (api layer) runs it over
every backend on the same texts, adds recall@10 on a labelled set and writes the results.
The texts are synthetic 惠企政策 material shipped with the package (``data/policy_sentences.txt``)
so the benchmark runs anywhere.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources

import numpy as np

from models.encoder import Encoder

KINDS = ("short", "long", "profile")


@dataclass(frozen=True)
class BenchTexts:
    """The three text kinds: a sentence, a ~500-character policy item, a ~150-character enterprise profile."""

    short: tuple[str, ...]
    long: tuple[str, ...]
    profile: tuple[str, ...]

    def of(self, kind: str) -> tuple[str, ...]:
        """Return the texts of ``kind`` (one of ``KINDS``)."""
        return {"short": self.short, "long": self.long, "profile": self.profile}[kind]


@dataclass(frozen=True)
class SpeedResult:
    """One backend on one text kind: batch throughput and single-text latency."""

    backend: str
    kind: str
    n_texts: int
    mean_chars: float
    batch_size: int
    texts_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_samples: int

    def to_dict(self) -> dict:
        """Return the result as JSON-ready data."""
        return asdict(self)


def policy_sentences() -> list[str]:
    """Return the shipped 惠企政策 sentences (written for this project, not copied from documents)."""
    text = resources.files("models").joinpath("data/policy_sentences.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def bench_texts(seed: int = 7, n_short: int = 256, n_long: int = 64, n_profile: int = 128) -> BenchTexts:
    """Build the benchmark texts deterministically from the shipped sentences and profile templates."""
    rng = random.Random(seed)
    sentences = policy_sentences()
    short = tuple(rng.choice(sentences) for _ in range(n_short))
    long = []
    for _ in range(n_long):
        parts: list[str] = []
        while sum(map(len, parts)) < 480:
            parts.append(rng.choice(sentences))
        long.append("".join(parts)[:520])
    profile = tuple(_profile_text(rng) for _ in range(n_profile))
    return BenchTexts(short=short, long=tuple(long), profile=profile)


def measure_speed(
    encoder: Encoder,
    backend: str,
    kind: str,
    texts: Sequence[str],
    *,
    batch_size: int = 32,
    latency_samples: int = 30,
) -> SpeedResult:
    """Time ``texts`` in batches of ``batch_size`` (after one warm-up batch) and one text at a time."""
    encode = _encode_for(encoder, kind)
    texts = list(texts)
    encode(texts[:batch_size], batch_size)  # warm-up: first-run allocations, lazy initialisation
    started = time.perf_counter()
    encode(texts, batch_size)
    throughput = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:latency_samples]:
        started = time.perf_counter()
        encode([text], 1)
        latencies.append((time.perf_counter() - started) * 1000.0)
    return SpeedResult(
        backend=backend,
        kind=kind,
        n_texts=len(texts),
        mean_chars=float(np.mean([len(t) for t in texts])),
        batch_size=batch_size,
        texts_per_second=throughput,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        latency_samples=len(latencies),
    )


def dense_rankings(
    encoder: Encoder,
    doc_ids: Sequence[str],
    doc_texts: Sequence[str],
    queries: Sequence[str],
    *,
    k: int = 10,
    batch_size: int = 32,
) -> list[list[str]]:
    """Rank documents for each query by cosine similarity; the top ``k`` ids per query."""
    docs = encoder.encode_passages(list(doc_texts), batch_size)
    query_vectors = encoder.encode_queries(list(queries), batch_size)
    scores = query_vectors @ docs.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return [[doc_ids[i] for i in row] for row in top]


def _encode_for(encoder: Encoder, kind: str) -> Callable[[list[str], int], np.ndarray]:
    # Profiles and sentences are what gets searched with (queries); policy items are indexed (passages).
    return encoder.encode_passages if kind == "long" else encoder.encode_queries


_CITIES = (
    "深圳市南山区",
    "杭州市余杭区",
    "台州市椒江区",
    "苏州市工业园区",
    "成都市高新区",
    "武汉市东湖新技术开发区",
)
_INDUSTRIES = (
    "计算机、通信和其他电子设备制造业",
    "软件和信息技术服务业",
    "通用设备制造业",
    "医药制造业",
    "批发业",
    "道路运输业",
    "农副食品加工业",
)
_TITLES = (
    "国家高新技术企业",
    "科技型中小企业",
    "专精特新中小企业",
    "专精特新“小巨人”企业",
    "瞪羚企业",
    "省级企业技术中心",
)
_KINDS = ("有限责任公司", "股份有限公司")


def _profile_text(rng: random.Random) -> str:
    """Render a ~150-character enterprise profile as the matcher would for dense retrieval."""
    titles = "、".join(rng.sample(_TITLES, rng.randint(0, 3))) or "无"
    employees = rng.randint(8, 900)
    revenue = rng.randint(200, 90000)
    return (
        f"企业类型：{rng.choice(_KINDS)}，注册地：{rng.choice(_CITIES)}，"
        f"所属行业：{rng.choice(_INDUSTRIES)}，成立于{rng.randint(2003, 2023)}年，"
        f"从业人员{employees}人，上年营业收入{revenue}万元，研发费用占比{rng.uniform(0.5, 12):.1f}%，"
        f"纳税信用等级{rng.choice('AAB')}级，已获资质：{titles}；"
        f"拟申请：{rng.choice(('研发费用补助', '技术改造补助', '稳岗补贴', '贷款贴息', '人才引进补贴'))}。"
    )
