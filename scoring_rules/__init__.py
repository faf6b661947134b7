"""Declarative scoring rule sets and the pure scoring engine (no database, no web)."""

from .engine import (
    AspectResult,
    MarkError,
    Override,
    Sheet,
    SheetResult,
    StageRun,
    quantize,
    score_aspect,
    score_sheet,
)
from .loader import (
    FieldError,
    RuleSetError,
    bundled_ruleset_path,
    load_ruleset,
    load_ruleset_file,
    ruleset_digest,
)
from .model import RuleSet
from .ranking import competition_ranks

__all__ = [
    "AspectResult", "FieldError", "MarkError", "Override", "RuleSet", "RuleSetError", "Sheet",
    "SheetResult", "StageRun", "bundled_ruleset_path", "competition_ranks", "load_ruleset",
    "load_ruleset_file", "quantize", "ruleset_digest", "score_aspect", "score_sheet",
]
