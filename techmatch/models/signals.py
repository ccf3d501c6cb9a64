"""Chinese labels of the ranking signals, beside their stable codes (explanations, console)."""

from __future__ import annotations

SIGNAL_LABELS: dict[str, str] = {
    "fused": "综合检索", "lexical": "关键词检索", "dense": "语义相似度",
    "dense_gap": "语义领先幅度", "term_coverage": "需求词覆盖", "keyword_jaccard": "关键词重合",
    "discipline": "学科一致", "industry": "行业一致", "region": "地域相近",
    "maturity": "技术成熟度", "recency": "时效", "work_max": "代表成果最佳匹配",
    "work_mean": "代表成果平均匹配", "work_dense_max": "代表成果语义最佳",
    "capacity": "剩余服务容量", "available": "可服务", "prefer_local": "同省优先",
    "work_votes": "多项代表成果匹配", "work_dense_mean": "代表成果整体语义",
    "work_field": "代表成果领域覆盖", "field_profile": "学科接近度（0 为最接近）",
    "lexical_mm": "关键词检索(归一)", "dense_mm": "语义相似度(归一)", "hybrid_mm": "加权混合检索",
    "prf_discipline": "与前列结果学科一致", "prf_terms": "与前列结果用词相近",
    "prf_dense": "与前列结果语义相近",
    "list_style": "关键词列表式需求", "list_prf_discipline": "与前列结果学科一致(关键词需求)",
    "list_prf_terms": "与前列结果用词相近(关键词需求)",
    "list_prf_dense": "与前列结果语义相近(关键词需求)",
    "list_top_discipline": "与首位结果学科一致(关键词需求)",
    "list_phrase_coverage": "需求词组原文覆盖(关键词需求)",
}


def signal_label(code: str) -> str:
    """The Chinese label of ranking signal `code`, or the code itself when it has none."""
    return SIGNAL_LABELS.get(code, code)


__all__ = ["SIGNAL_LABELS", "signal_label"]
