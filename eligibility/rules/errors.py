"""The one exception of the rules package (RULES.md section 11.6)."""

from __future__ import annotations


class MalformedInput(ValueError):
    """Malformed input: names the scenario (when known) and the field.

    ``str(exc)`` is a one-line message such as
    ``S12: action.paid_on: invalid date '2025-02-30'``.
    """

    def __init__(self, field: str, problem: str, *, scenario_id: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.scenario_id = scenario_id
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message."""
        prefix = f"{self.scenario_id}: " if self.scenario_id else ""
        return f"{prefix}{self.field}: {self.problem}"

    def __str__(self) -> str:
        return self.message

    def for_scenario(self, scenario_id: str | None) -> MalformedInput:
        """The same error, naming the scenario (keeps an id already set)."""
        if self.scenario_id is not None or scenario_id is None:
            return self
        return MalformedInput(self.field, self.problem, scenario_id=scenario_id)

    def under(self, prefix: str) -> MalformedInput:
        """The same error with its field name prefixed (``person`` + ``birth_date``)."""
        return MalformedInput(f"{prefix}.{self.field}", self.problem, scenario_id=self.scenario_id)
