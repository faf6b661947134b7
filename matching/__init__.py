"""Matching craftsman service teams to enterprise needs. Everything here assigns through
``matching.assign``."""

from .assign import Assignment, InfeasibleAssignment, assign

__all__ = ["Assignment", "InfeasibleAssignment", "assign"]
