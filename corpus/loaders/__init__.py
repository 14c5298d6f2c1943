"""Read policy documents and enterprise profiles from files (the documented import path: ``corpus.loaders``).

Policies: ``.txt``, ``.md``, ``.html``/``.htm`` (stdlib ``html.parser``),
``.docx`` (python-docx) — one document per file — and ``.jsonl`` (one
``POST /v1/policies`` object per line). Enterprises: ``.jsonl`` and ``.csv``
(a header row of profile field names).

Readers are generators that yield, per record, either a :class:`Loaded`
record (with the file and line it came from) or a :class:`LoadError` naming
the file, the line and the field, so a caller can keep the good records and
report the bad ones (or, strict, keep none).

One job per module: ``records`` (what a reader yields), ``files`` (which files, their caps
and encoding), ``rows`` (JSONL objects and CSV rows), ``formats`` (text out of Markdown, HTML,
.docx), ``policies`` and ``enterprises`` (the readers).
"""

from corpus.loaders.enterprises import (
    ENTERPRISE_SUFFIXES,
    ProfileRow,
    load_enterprises,
    read_enterprise_rows,
    read_enterprises,
)
from corpus.loaders.files import DEFAULT_CAPS, FileCaps, UnsupportedFormatError, expand_paths, sniff_encoding
from corpus.loaders.formats import html_to_text
from corpus.loaders.policies import POLICY_SUFFIXES, load_policies, read_policies
from corpus.loaders.records import Loaded, LoadError, LoadResult

__all__ = [
    "DEFAULT_CAPS",
    "ENTERPRISE_SUFFIXES",
    "POLICY_SUFFIXES",
    "FileCaps",
    "LoadError",
    "LoadResult",
    "Loaded",
    "ProfileRow",
    "UnsupportedFormatError",
    "expand_paths",
    "html_to_text",
    "load_enterprises",
    "load_policies",
    "read_enterprise_rows",
    "read_enterprises",
    "read_policies",
    "sniff_encoding",
]
