"""What the dashboard and the CLI narrow a view to, as a parameterised SQL condition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Filters:
    """What the dashboard and CLI narrow a view to. Dates are inclusive days (UTC)."""

    start: dt.date | None = None
    end: dt.date | None = None
    outlets: tuple[str, ...] = field(default_factory=tuple)
    # Outlet groups as "attribute:value" ("kind:wire", "lean:left", "group:regional"); any of them.
    groups: tuple[str, ...] = field(default_factory=tuple)

    def where(self, date_col: str = "published_at", outlet_col: str = "outlet") -> tuple[str, list]:
        clauses, params = ["TRUE"], []
        if self.start is not None:
            clauses.append(f"{date_col} >= ?")
            params.append(dt.datetime.combine(self.start, dt.time()))
        if self.end is not None:
            clauses.append(f"{date_col} < ?")
            params.append(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))
        if self.outlets:
            clauses.append(f"{outlet_col} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.outlets))
        if self.groups:
            clauses.append(
                f"""{outlet_col} IN (SELECT name FROM outlets WHERE list_has_any(
                    ['country:' || coalesce(country, ''), 'language:' || coalesce(language, ''),
                     'kind:' || coalesce(kind, ''), 'lean:' || coalesce(lean, '')]
                    || list_transform(coalesce(groups, []), lambda g: 'group:' || g), ?::VARCHAR[]))""")
            params.append(list(self.groups))
        return " AND ".join(clauses), params
