"""The planner's choices: every guess of a survey can be overridden, from a CLI or a web form.

A web form sends its drop-downs back as JSON; :meth:`Choices.from_mapping` checks it and
names every bad entry (an :class:`~coverage.problems.InputError`), so a form shows the
problem next to the field instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coverage.problems import InputError, Problem
from coverage.scaffold._columns import ADMIN_ROLES, LAYER_ROLES

__all__ = ["Choices"]

_ROLES = set(LAYER_ROLES) | set(ADMIN_ROLES)


@dataclass(frozen=True)
class Choices:
    """Overrides of a survey's guesses; every mapping is keyed by source id (``"台账.xlsx#村居"``)
    or by file (all its sheets).

    Attributes
    ----------
    source
        The answer for every source in degrees: ``amap``, ``tencent``, ``baidu``, ``gps``,
        ``tianditu``, ``wgs84``, ``cgcs2000`` (or a CRS text such as ``"EPSG:4527"`` for
        metres without a zone number).
    sources
        Answers per source (they win over ``source``).
    uses
        What a source is for: ``layer:KIND``, ``admin:LEVEL``, ``ledger``,
        ``division_codes``, ``ignore``.  Naming a hidden sheet here uses it.
    roles
        Per source, header → canonical field (``id``, ``lon`` …, ``parent``), or ``""`` to
        leave the column out.
    header_rows
        Per source, the header row (1-based, as Excel numbers it).
    ledgers
        Per 台账 source, the layer kinds it feeds (default: the layers whose codes it holds).
    region_name, region_code
        ``[region] name`` and ``code`` (default: from the boundaries and the codes).
    """

    source: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    uses: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    header_rows: Mapping[str, int] = field(default_factory=dict)
    ledgers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    region_name: str = ""
    region_code: str = ""

    @property
    def rereads(self) -> bool:
        """Whether the sources must be read and guessed again for these choices."""
        return bool(self.sources or self.uses or self.roles or self.header_rows
                    or self.source is not None)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-able data (the inverse of :meth:`from_mapping`)."""
        return {"source": self.source, "sources": dict(self.sources), "uses": dict(self.uses),
                "roles": {k: dict(v) for k, v in self.roles.items()},
                "header_rows": dict(self.header_rows),
                "ledgers": {k: list(v) for k, v in self.ledgers.items()},
                "region_name": self.region_name, "region_code": self.region_code}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Choices:
        """Choices from JSON-like data (a web form, ``coverage init --choices FILE``).

        Raises
        ------
        InputError
            Unknown keys, wrong types, unknown roles or header rows below 1 — all of them.
        """
        problems: list[Problem] = []

        def bad(key: str, message: str, value: object, fix: str) -> None:
            problems.append(Problem(None, None, key, value, message, fix,
                                    code="bad_choice"))

        known = ("source", "sources", "uses", "roles", "header_rows", "ledgers",
                 "region_name", "region_code")
        for k in data:
            if k not in known:
                bad(k, "unknown key", k, "use: " + ", ".join(known))

        def table(key: str) -> dict[str, Any]:
            value = data.get(key, {})
            if value is None:
                return {}
            if not isinstance(value, Mapping):
                bad(key, "expected a table keyed by source id", value, '{"file.xlsx#sheet": …}')
                return {}
            return dict(value)

        def text(key: str) -> str:
            value = data.get(key, "")
            if value is None:
                return ""
            if not isinstance(value, str):
                bad(key, "expected text", value, f'"{key}": "…"')
                return ""
            return value.strip()

        sources = {str(k): str(v) for k, v in table("sources").items()}
        uses = {str(k): str(v) for k, v in table("uses").items()}
        roles: dict[str, dict[str, str]] = {}
        for sid, cols in table("roles").items():
            if not isinstance(cols, Mapping):
                bad(f"roles.{sid}", "expected header → field", cols, '{"经度": "lon"}')
                continue
            for header, role in cols.items():
                if role not in ("", None) and role not in _ROLES:
                    bad(f"roles.{sid}.{header}", "unknown field", role,
                        "use one of: " + ", ".join(sorted(_ROLES)) + ', or "" to leave it out')
            roles[str(sid)] = {str(h): str(r or "") for h, r in cols.items()}
        header_rows: dict[str, int] = {}
        for sid, row in table("header_rows").items():
            if isinstance(row, bool) or not isinstance(row, int) or row < 1:
                bad(f"header_rows.{sid}", "expected a row number ≥ 1", row,
                    "the row of the headers as Excel numbers it")
                continue
            header_rows[str(sid)] = row
        ledgers: dict[str, tuple[str, ...]] = {}
        for sid, kinds in table("ledgers").items():
            if isinstance(kinds, str):
                kinds = [kinds]
            if not isinstance(kinds, list | tuple):
                bad(f"ledgers.{sid}", "expected a list of layer kinds", kinds, '["village"]')
                continue
            ledgers[str(sid)] = tuple(str(k) for k in kinds)
        source = data.get("source")
        if source is not None and not isinstance(source, str):
            bad("source", "expected text", source, '"amap"')
            source = None
        if problems:
            raise InputError(problems, title="选择有问题 (choices problems)")
        return cls(source=source or None, sources=sources, uses=uses, roles=roles,
                   header_rows=header_rows, ledgers=ledgers, region_name=text("region_name"),
                   region_code=text("region_code"))
