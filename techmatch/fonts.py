"""Chinese-capable font lookup for every PNG the project draws (reports, stats charts)."""

from __future__ import annotations

import re
from pathlib import Path

from techmatch.errors import ConfigError

CJK_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC",
                              "Noto Serif CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                              "Droid Sans Fallback")
_FONT_FILE = re.compile(r"(NotoSansCJK|NotoSerifCJK|wqy-zenhei|wqy-microhei|DroidSansFallback)",
                        re.IGNORECASE)


def cjk_font() -> str:
    """Name of an installed font with Chinese glyphs (Noto CJK, WenQuanYi or Droid Fallback).

    Matplotlib's font list is cached; a font installed after the cache was built is found by
    scanning the system font folders and registered here.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in known:
            return name
    for path in sorted(font_manager.findSystemFonts()):
        if _FONT_FILE.search(Path(path).name):
            font_manager.fontManager.addfont(path)
    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in known:
            return name
    raise ConfigError(f"服务器上没有可绘制图片的中文字体（查找了 {'、'.join(CJK_FONTS)}）："
                      "请安装 Debian 包 fonts-noto-cjk（apt-get install fonts-noto-cjk）")
