"""The words of ``coverage init``'s guesses, from the glossary's templates."""

from __future__ import annotations

from coverage.scaffold._model import Reason, SourceSurvey
from coverage.vocabulary import ADMIN_LEVEL, KIND, SCAFFOLD_NOTE, SCAFFOLD_USE, Lang

__all__ = ["reason_text", "target_text", "use_text"]


def reason_text(reason: Reason, lang: Lang = "zh") -> str:
    """A reason in words (the code itself when the glossary has no template for it)."""
    if reason.code not in SCAFFOLD_NOTE:
        return reason.code
    template = SCAFFOLD_NOTE[reason.code](lang)
    try:
        return template.format(**dict(reason.params))
    except (KeyError, IndexError):
        return template


def target_text(use: str, kind: str, lang: Lang = "zh") -> str:
    """``layer``/``school`` → 点位图层：学校."""
    words = SCAFFOLD_USE.label(use, lang)
    if use == "layer" and kind:
        return f"{words}：{KIND.label(kind, lang)}" if lang == "zh" else f"{words}: {kind}"
    if use == "admin" and kind:
        return f"{words}：{ADMIN_LEVEL.label(kind, lang)}" if lang == "zh" else f"{words}: {kind}"
    if use == "ledger" and kind:
        return f"{words}：{kind}"
    return words


def use_text(src: SourceSurvey, lang: Lang = "zh") -> str:
    """What a source is for, how sure and why: ``点位图层：学校 (90%): 文件名含“学校”``."""
    u = src.use
    why = "; ".join(reason_text(r, lang) for r in u.reasons[:3])
    return f"{target_text(u.use, u.kind, lang)} ({u.confidence:.0%}): {why}"
