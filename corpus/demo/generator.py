"""The demo corpus: policies with their true item conditions, and enterprises, from one seed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from corpus.conditions import Condition, SemanticJudge, Verdict
from corpus.demo.clauses import SEMANTIC
from corpus.demo.enterprises import CHUNK, generate_chunk, iter_profiles
from corpus.demo.policies import DemoItem, DemoPolicy, generate_policy
from corpus.demo.vocab import LINES

DEFAULT_SEED = 20241
# Semantic requirement (the condition's value: the words of the text less a leading 从事) → the lines that meet it.
SEMANTIC_LINES: dict[str, tuple[str, ...]] = {
    words.removeprefix("从事"): lines for words, lines, _ in SEMANTIC
}


@lru_cache(maxsize=8)
def _chunk_lines(seed: int, chunk: int) -> np.ndarray:
    return generate_chunk(seed, chunk).line


@dataclass(frozen=True)
class DemoCorpus:
    """A generated corpus: ``policies`` (with items and true conditions) and ``n_enterprises`` profiles."""

    seed: int
    policies: tuple[DemoPolicy, ...]
    n_enterprises: int

    @property
    def items(self) -> tuple[DemoItem, ...]:
        """Every item of every policy, in order."""
        return tuple(item for policy in self.policies for item in policy.items)

    def iter_enterprises(self, n: int | None = None) -> Iterator[dict[str, Any]]:
        """Iterate the corpus's enterprise profiles (enterprise_profile.md dicts, unknown fields left out)."""
        return iter_profiles(self.seed, self.n_enterprises if n is None else n)

    def line_of(self, enterprise_id: str) -> str | None:
        """Return what a demo enterprise truly does (a vocab.LINES key), or None for an id not of this generator."""
        if not (enterprise_id.startswith("E") and enterprise_id[1:].isdigit()):
            return None
        number = int(enterprise_id[1:]) - 1
        lines = _chunk_lines(self.seed, number // CHUNK)
        return LINES[int(lines[number % CHUNK])].key

    def semantic_judge(self) -> SemanticJudge:
        """Judge ``semantic`` conditions from the generator's knowledge of each enterprise's true line of business.

        This is how the ground truth settles them: an enterprise meets "从事集成电路设计"
        exactly when the generator made it an IC-design house, whatever its texts say.
        A condition the generator did not write, or a profile it did not make, stays unknown.
        """

        def judge(condition: Condition, profile: Mapping[str, Any]) -> Verdict:
            lines = SEMANTIC_LINES.get(str(condition.value))
            line = self.line_of(str(profile.get("id") or ""))
            if lines is None or line is None:
                return "unknown"
            return "met" if line in lines else "unmet"

        return judge


def generate(
    seed: int = DEFAULT_SEED, n_policies: int = 200, n_enterprises: int = 10_000, style: str = "realistic"
) -> DemoCorpus:
    """Generate the demo corpus of ``seed``: ``n_policies`` documents (≈6 items each) and ``n_enterprises`` profiles.

    Policies are written now (fast); enterprise profiles are generated when iterated
    (:meth:`DemoCorpus.iter_enterprises`), so a million of them never sit in memory.
    ``style`` ``"realistic"`` (default) writes the shapes of real Taizhou / Zhejiang policies
    with their truth in the condition language v2; ``"plain"`` the first generator's regular text.
    """
    if n_policies < 0 or n_enterprises < 0:
        raise ValueError("n_policies and n_enterprises must not be negative")
    policies = tuple(generate_policy(seed, index, style) for index in range(n_policies))
    return DemoCorpus(seed=seed, policies=policies, n_enterprises=n_enterprises)
