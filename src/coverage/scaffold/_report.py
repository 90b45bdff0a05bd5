"""The report of ``coverage init``: every guess, every column not placed, what to check.

Two forms with the same content: text for the planner (:func:`report_text`) and JSON for a
web form or a script (:func:`report_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverage.problems import Problem
from coverage.scaffold._model import SourceSurvey, problem_dict
from coverage.scaffold._plan import Plan
from coverage.scaffold._words import reason_text, target_text, use_text
from coverage.vocabulary import KIND

__all__ = ["DraftCheck", "report_dict", "report_text"]


@dataclass(frozen=True)
class DraftCheck:
    """``coverage validate`` run on a draft before it is handed over.

    Attributes
    ----------
    ran
        False when the draft was not loaded (``reason`` says why: questions to answer first).
    ok
        The region loaded without errors.
    layers
        ``(kind, rows, located rows)`` per layer of the loaded region.
    townships
        Number of townships (from polygons or from codes).
    approximate_townships
        Townships derived from codes (no township polygons).
    problems
        The errors, or the warnings of a region that loaded.
    reason
        Why it did not run, when it did not.
    """

    ran: bool
    ok: bool
    layers: tuple[tuple[str, int, int], ...] = ()
    townships: int = 0
    approximate_townships: bool = False
    problems: tuple[Problem, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ran": self.ran, "ok": self.ok, "reason": self.reason,
                "layers": [{"kind": k, "rows": n, "located": m} for k, n, m in self.layers],
                "townships": self.townships,
                "approximate_townships": self.approximate_townships,
                "problems": [problem_dict(p) for p in self.problems]}


def report_dict(plan: Plan, *, draft: Path | None = None, check: DraftCheck | None = None
                ) -> dict[str, Any]:
    """The report as JSON-able data: survey, plan, choices, check."""
    return {"version": 1, "folder": str(plan.survey.folder),
            "draft": str(draft) if draft else None,
            "questions": [problem_dict(p) for p in plan.questions],
            "survey": plan.survey.to_dict(), "plan": plan.to_dict(),
            "choices": plan.choices.to_dict(),
            "check": check.to_dict() if check is not None else None}


def _problem_lines(problems: tuple[Problem, ...] | list[Problem], limit: int = 40) -> list[str]:
    out = []
    for i, p in enumerate(problems[:limit], 1):
        where = p.file or ""
        if p.sheet:
            where += f" [{p.sheet}]"
        if p.row:
            where += f" 第{p.row}行"
        if p.column:
            where += f" '{p.column}'"
        tag = "错误" if p.severity == "error" else "注意"
        out.append(f"  {i}. [{tag}] {where}: {' '.join(p.message.split())}")
        if p.fix:
            out.append(f"     → {' '.join(p.fix.split())}")
    if len(problems) > limit:
        out.append(f"  … 另有 {len(problems) - limit} 条 (and {len(problems) - limit} more)")
    return out


def _source_lines(s: SourceSurvey, used: bool) -> list[str]:
    flag = "用" if used else "不用"
    name = s.id + ("（隐藏）" if not s.visible else "")
    out = [f"  [{flag}] {name}", f"       {use_text(s)}"]
    if s.use.alternatives:
        alts = ", ".join(f"{target_text(u, k)} {c:.0%}" for u, k, c in s.use.alternatives[:3])
        out.append(f"       其他可能 (alternatives): {alts}")
    facts = []
    if s.header_row is not None:
        facts.append(f"表头第{s.header_row}行（{reason_text(s.header_reason)}）")
    if s.encoding:
        facts.append(f"编码 {s.encoding}")
    if s.n_rows:
        facts.append(f"{s.n_rows} 行")
    if s.crs.units != "none":
        crs = s.crs.crs or (f"EPSG:{s.crs.epsg}" if s.crs.epsg else "文件自带")
        facts.append(f"坐标 {crs}（{reason_text(s.crs.reason)}"
                     + ("，？待回答" if s.crs.needs_answer else "") + "）")
    if facts:
        out.append("       " + "；".join(facts))
    placed = [c for c in s.columns if c.role]
    if placed:
        out.append("       列 (columns): " + "；".join(
            f"{c.header} → {c.role} {c.confidence:.0%}" + ("？" if c.confidence < 0.6 else "")
            for c in placed))
    if s.unplaced:
        out.append("       未读取 (not read): " + "；".join(
            f"{c.header}（{reason_text(c.reason)}"
            + (f"，可能是 {c.alternatives[0].role}" if c.alternatives else "") + "）"
            for c in s.unplaced))
    return out


def report_text(plan: Plan, *, draft: Path | None = None, check: DraftCheck | None = None,
                brief: bool = False) -> str:
    """The report for the planner (Chinese, with English in brackets).

    ``brief`` leaves out the per-source details (for the terminal; the file has them).
    """
    used = {lay.source for lay in plan.layers} | {a.source for a in plan.admin} | {
        lay.ledger.source for lay in plan.layers if lay.ledger is not None}
    used |= {s.id for s in plan.survey.sources if s.use.use == "network"
             and s.path == plan.network}
    used |= {s.id for s in plan.survey.sources if s.use.use == "division_codes"
             and s.path == plan.division_codes}
    out = ["coverage init — 区域配置草稿报告 (draft region config report)",
           f"文件夹 (folder): {plan.survey.folder}"]
    if draft is not None:
        out.append(f"草稿 (draft): {draft}")
    out.append(f"地区 (region): {plan.region_name}（{reason_text(plan.name_reason)}） "
               f"{plan.region_code}（{reason_text(plan.code_reason)}）")
    out.append("图层 (layers): " + ("，".join(
        f"{KIND.label(lay.kind)} ← {lay.source}"
        + (f" + 台账 {lay.ledger.source}" if lay.ledger else "") for lay in plan.layers)
        or "无 (none)"))
    out.append("边界 (boundaries): " + ("，".join(f"{a.level} ← {a.source}" for a in plan.admin)
                                     or "无 (none)"))
    questions = plan.questions
    out += ["", f"待回答/待核对 (questions: {len(questions)})"]
    out += _problem_lines(questions) if questions else ["  无 (none)"]
    rest = [p for p in plan.problems if p not in questions]
    if brief:
        unplaced = sum(len(s.unplaced) for s in plan.survey.sources if s.id in used)
        out += ["", f"找到 {len(plan.survey.sources)} 个数据源，使用 {len(used)} 个；"
                f"未读取的列 {unplaced} 个；其他提示 {len(rest)} 条 — 详见报告文件 "
                "(details, every guess and every column not read: the report file)"]
    else:
        out += ["", f"找到的数据 (sources: {len(plan.survey.sources)})"]
        for s in plan.survey.sources:
            out += _source_lines(s, s.id in used)
        if rest:
            out += ["", f"其他提示 (notes: {len(rest)})", *_problem_lines(rest)]
    out += ["", "校验 (check: coverage validate on the draft)"]
    if check is None:
        out.append("  未运行 (not run)")
    elif not check.ran:
        out.append(f"  未运行 (not run): {check.reason}")
    elif check.ok:
        out.append("  ✓ 草稿可以加载 (the draft loads): " + "，".join(
            f"{KIND.label(k)} {n} 行（已定位 {m}）" for k, n, m in check.layers)
            + f"；乡镇 {check.townships} 个" + ("（按代码推算的示意范围）"
                                               if check.approximate_townships else ""))
        warnings = [p for p in check.problems if p.severity == "warning"]
        if warnings:
            out.append(f"  警告 {len(warnings)} 条 (warnings; coverage validate lists them all)")
    else:
        errors = [p for p in check.problems if p.severity == "error"]
        out.append(f"  ✗ 有 {len(errors)} 个错误 (errors), 先改这些 (fix these first):")
        out += _problem_lines(errors, limit=20)
    return "\n".join(out) + "\n"
