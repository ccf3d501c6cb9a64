"""Constrained assignment of experts to needs: encode → solve → decode, with diagnostics."""

from techmatch.matcher.assignment.decode import (
    Alternate,
    Assignment,
    ExpertLoad,
    NeedResult,
    Pair,
    UncoveredNeed,
    WhyNot,
    assign,
    decode,
    why_not,
)
from techmatch.matcher.assignment.diagnose import Diagnostic, explain_infeasible
from techmatch.matcher.assignment.problem import (
    AssignmentProblem,
    Constraints,
    Quota,
    Reason,
    encode,
)
from techmatch.matcher.assignment.solvers import (
    OBJECTIVES,
    SOLVERS,
    Solution,
    Status,
    get_solver,
    solve,
)

__all__ = [
    "OBJECTIVES", "SOLVERS", "Alternate", "Assignment", "AssignmentProblem", "Constraints",
    "Diagnostic", "ExpertLoad", "NeedResult", "Pair", "Quota", "Reason", "Solution", "Status",
    "UncoveredNeed", "WhyNot", "assign", "decode", "encode", "explain_infeasible", "get_solver",
    "solve", "why_not",
]
