"""The demo corpus: realistic Taizhou 惠企政策 and enterprises from one seed, with ground truth.

``generate(seed, n_policies, n_enterprises)`` writes policy documents the way
Taizhou's and Zhejiang's support policies are written (knowing the true
conditions of every item and their spans) and enterprises whose figures agree
with each other; ``write_eligibility_set`` / ``write_retrieval_set`` turn that
knowledge into labelled sets for ``policymatch eval``.
"""

from corpus.demo.generator import DEFAULT_SEED, DemoCorpus, generate
from corpus.demo.policies import DemoItem, DemoPolicy
from corpus.demo.sets import (
    EligibilitySetReport,
    RetrievalSetReport,
    write_eligibility_set,
    write_retrieval_set,
)

__all__ = [
    "DEFAULT_SEED",
    "DemoCorpus",
    "DemoItem",
    "DemoPolicy",
    "EligibilitySetReport",
    "RetrievalSetReport",
    "generate",
    "write_eligibility_set",
    "write_retrieval_set",
]
