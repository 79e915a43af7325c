"""The sequences a lead can get: its own, the A/B rotation, the day's in sequence mode,
or its assistant's default, with the step offsets each loads (from [[sequences]])."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import PlanSettings, SequenceSpec
from ..models import Assistant, SourceRow


@dataclass(frozen=True, slots=True, eq=False)
class Seq:
    """A sequence as a PlanRow shows it and the step offsets it loads.

    Interned by `Sequences.get` and compared by identity: hashing stays cheap in hot loops.
    """

    schedule_id: int | None
    schedule_name: str | None
    steps: tuple[int, ...]


class Sequences:
    """The plan's sequences; `default[a]` is assistant a's (assistants sorted by email)."""

    def __init__(self, settings: PlanSettings, assistants: Sequence[Assistant]) -> None:
        self.settings = settings
        self.by_id = {s.id: s for s in settings.sequences if s.id is not None}
        self.by_name = {s.name: s for s in settings.sequences if s.name}
        self._interned: dict[tuple[int | None, str | None, tuple[int, ...]], Seq] = {}
        self.default = [self._default(a) for a in assistants]
        self.rotation = tuple(self._spec(self.by_name[n]) for n in settings.rotation)
        self.by_delay: dict[int, tuple[Seq, ...]] = {}
        for spec in settings.sequences:
            self.by_delay[spec.delay] = (*self.by_delay.get(spec.delay, ()), self._spec(spec))
        self.turns: Counter[Seq] = Counter()  # how often each was given (rotation balance)
        self.longest = max([s.steps[-1] for s in settings.sequences]
                           + [s.steps[-1] for s in self.default] + [0])

    def get(self, schedule_id: int | None, name: str | None, steps: tuple[int, ...]) -> Seq:
        return self._interned.setdefault((schedule_id, name, steps), Seq(schedule_id, name, steps))

    def _spec(self, spec: SequenceSpec) -> Seq:
        return self.get(spec.id, spec.name, spec.steps)

    def _default(self, assistant: Assistant) -> Seq:
        steps = self.settings.default_steps
        if steps is None:
            spec = next((s for s in self.settings.sequences
                         if s.id is not None and s.id == assistant.default_schedule_id), None)
            steps = spec.steps if spec is not None else (0,)
        return self.get(None, None, steps)

    def own(self, lead: SourceRow) -> tuple[Seq | None, SequenceSpec | None]:
        """The row's own sequence (and its [[sequences]] entry, if configured)."""
        if lead.schedule_id is None and lead.schedule_name is None:
            return None, None
        if lead.schedule_id is not None:
            spec = self.by_id.get(lead.schedule_id)
        else:
            spec = self.by_name.get(lead.schedule_name or "")
        steps = spec.steps if spec is not None else (0,)
        return self.get(lead.schedule_id, lead.schedule_name, steps), spec

    def least_used(self, options: Sequence[Seq]) -> list[Seq]:
        """`options` by how often each was given, then in configured order."""
        return sorted(options, key=lambda s: (self.turns[s], options.index(s)))

    def options(self, assistant: int, day: int, own: Seq | None, sequence_mode: bool) -> list[Seq]:
        """The sequences a pinned-day row may get on (assistant, day), in preference order."""
        if own is not None:
            return [own]
        if sequence_mode:
            return self.least_used(self.by_delay.get(day, ()))
        if self.rotation:
            return self.least_used(self.rotation)
        return [self.default[assistant]]
