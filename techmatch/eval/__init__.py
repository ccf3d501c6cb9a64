"""Offline evaluation: BEIR datasets, metrics, significance, runner, report, tuning, export."""

from techmatch.eval.configs import CONFIGS, EvalContext, resolve_configs
from techmatch.eval.datasets import (
    Dataset,
    ExpertEntry,
    expert_qrels,
    load_dataset,
    read_corpus,
    read_qrels,
)
from techmatch.eval.feedback_export import FEEDBACK_GRADES, export_feedback
from techmatch.eval.metrics import evaluate, parse_metric, parse_metrics, recall_curve
from techmatch.eval.report import write_report, write_tune_report
from techmatch.eval.runner import EvalOptions, run_evaluation, summary
from techmatch.eval.significance import paired_t_test, randomization_test
from techmatch.eval.tune import grid, run_tuning

__all__ = [
    "CONFIGS",
    "Dataset",
    "EvalContext",
    "EvalOptions",
    "ExpertEntry",
    "FEEDBACK_GRADES",
    "evaluate",
    "expert_qrels",
    "export_feedback",
    "grid",
    "load_dataset",
    "paired_t_test",
    "parse_metric",
    "parse_metrics",
    "randomization_test",
    "read_corpus",
    "read_qrels",
    "recall_curve",
    "resolve_configs",
    "run_evaluation",
    "run_tuning",
    "summary",
    "write_report",
    "write_tune_report",
]
