"""The records of the corpus: policy documents, their items, enterprise profiles.

:class:`EnterpriseProfile` has exactly the fields of
``shared/spec/enterprise_profile.md`` (plus the derived ``size_class``);
:func:`validate_profile` is the one way in: it checks types, units and code
formats, canonicalises 资质 aliases and industry codes, derives ``rd_ratio``
and ``size_class``, and reports every problem at once in a :class:`ProfileError`.

:class:`PolicyDocument` is the shape of ``POST /v1/policies``;
:func:`validate_policy` checks it the same way. A :class:`PolicyItem` is one
thing a person applies for (see :mod:`corpus.splitting`).

The records live in three modules — :mod:`~corpus.schemas.base` (vocabulary, problems, field
readers), :mod:`~corpus.schemas.policies` and :mod:`~corpus.schemas.profiles` — and every public
name is importable from here.
"""

from corpus.schemas.base import (
    COUNT_FIELDS,
    DOC_TYPES,
    FACT_KEYS,
    FLOAT_FIELDS,
    FULFILMENTS,
    LEGACY_FULFILMENTS,
    MONEY_FIELDS,
    MU_JUN_CLASSES,
    PERCENT_FIELDS,
    TAX_CREDIT_GRADES,
    TEXT_FIELDS,
    V2_PROFILE_FIELDS,
    FieldProblem,
    PolicyError,
    ProfileError,
    RecordError,
    uscc_check_digit,
    uscc_problem,
)
from corpus.schemas.policies import (
    READ_FACT_KEYS,
    ItemText,
    PolicyDocument,
    PolicyItem,
    item_id,
    merge_document_facts,
    validate_policy,
)
from corpus.schemas.profiles import (
    PROFILE_FIELD_NAMES,
    EnterpriseProfile,
    validate_profile,
)

__all__ = [
    "COUNT_FIELDS",
    "DOC_TYPES",
    "EnterpriseProfile",
    "FACT_KEYS",
    "FLOAT_FIELDS",
    "FULFILMENTS",
    "FieldProblem",
    "LEGACY_FULFILMENTS",
    "MONEY_FIELDS",
    "MU_JUN_CLASSES",
    "PERCENT_FIELDS",
    "PROFILE_FIELD_NAMES",
    "PolicyDocument",
    "PolicyError",
    "ItemText",
    "PolicyItem",
    "ProfileError",
    "READ_FACT_KEYS",
    "RecordError",
    "TAX_CREDIT_GRADES",
    "TEXT_FIELDS",
    "V2_PROFILE_FIELDS",
    "item_id",
    "merge_document_facts",
    "uscc_check_digit",
    "uscc_problem",
    "validate_policy",
    "validate_profile",
]
