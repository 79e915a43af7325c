"""The pre-issue-14 greedy planner: the bench's baseline."""

from .planner import plan_leads

__all__ = ["plan_leads"]
