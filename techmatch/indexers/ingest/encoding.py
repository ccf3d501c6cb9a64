"""Decoding input files: UTF-8 (BOM or not), UTF-16 (by its BOM), GB18030, a confident guess —
and, when a few lines hold bad bytes, line by line so the good rows still load and the bad ones
are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from techmatch.errors import IngestError
from techmatch.models.validation_zh import decode_reason_zh as _why

# Decode line by line only when most lines decode: a binary file is a file error, not rows.
MIN_GOOD_SHARE = 0.5
_CANDIDATES = ("utf-8", "gb18030")


@dataclass
class Decoded:
    """The file's text; `bad` maps 1-based line numbers that did not decode to why.

    Bad lines are kept in `text` (undecodable bytes replaced by U+FFFD) so line and row
    numbers stay those of the file; readers reject every row touching a bad line.
    """

    text: str
    encoding: str
    bad: dict[int, str] = field(default_factory=dict)


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Whole-file decoding → (text, encoding); any undecodable byte raises IngestError."""
    decoded = decode_lines(data, source)
    if decoded.bad:
        line, why = next(iter(decoded.bad.items()))
        raise IngestError(f"文件无法按 {decoded.encoding} 解码：第 {line} 行：{why}", source=source)
    return decoded.text, decoded.encoding


def decode_lines(data: bytes, source: str) -> Decoded:
    """Decode the whole file when possible, else line by line in the best-fitting encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _utf16(data, source)
    if b"\n" not in data and b"\r" in data:  # CR-only line ends (Excel for Mac's "CSV (Mac)");
        data = data.replace(b"\r", b"\n")  # 0x0D is never part of a UTF-8 / GB18030 character
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return Decoded(data[bom:].decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as utf8_error:
        offset, reason = utf8_error.start + bom, utf8_error.reason
    try:
        return Decoded(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError:
        pass
    per_line = _per_line(data[bom:], "utf-8-sig" if bom else "utf-8")
    if per_line is not None:
        return per_line
    guess = _guess(data)
    if guess is not None:
        return Decoded(*guess)
    raise IngestError(f"文件无法解码：字节偏移 {offset} 处不是有效的 UTF-8"
                      f"（{_why(reason)}），也不是 GB18030，其他文本编码也不合适；请另存为 "
                      f"UTF-8 或 GB18030 编码的文本",
                      source=source)


def _utf16(data: bytes, source: str) -> Decoded:
    """A UTF-16 file (its BOM says so: Excel's "Unicode text", Notepad's "Unicode")."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise IngestError(f"文件无法按 UTF-16 解码（文件以 UTF-16 字节序标记开头）：字节偏移 "
                          f"{exc.start}：{_why(exc.reason)}；请另存为 UTF-8 或 GB18030",
                          source=source) from None
    if "\n" not in text:
        text = text.replace("\r", "\n")
    return Decoded(text, "utf-16")


def _per_line(data: bytes, utf8_name: str) -> Decoded | None:
    """Line-by-line decoding in UTF-8 or GB18030 (the one with fewer bad lines, UTF-8 on a
    tie); None when fewer than half the non-empty lines decode."""
    lines = data.split(b"\n")
    best: Decoded | None = None
    for encoding in _CANDIDATES:
        decoded = _decode_each(lines, encoding)
        if best is None or len(decoded.bad) < len(best.bad):
            best = decoded
    assert best is not None
    if best.encoding == "utf-8":
        best.encoding = utf8_name
    non_empty = sum(1 for line in lines if line.strip())
    if non_empty == 0 or (non_empty - len(best.bad)) / non_empty < MIN_GOOD_SHARE:
        return None
    return best


def _decode_each(lines: list[bytes], encoding: str) -> Decoded:
    texts: list[str] = []
    bad: dict[int, str] = {}
    offset = 0
    for number, line in enumerate(lines, start=1):
        try:
            texts.append(line.decode(encoding))
        except UnicodeDecodeError as exc:
            texts.append(line.decode(encoding, errors="replace"))
            bad[number] = (f"第 {exc.start + 1} 个字节起不是 {encoding.upper()}（文件偏移 "
                           f"{offset + exc.start}：{_why(exc.reason)}）")
        offset += len(line) + 1
    return Decoded("\n".join(texts), encoding, bad)


def _guess(data: bytes) -> tuple[str, str] | None:
    """charset_normalizer's best guess, kept only when it decodes to clean text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None or best.percent_chaos > 10.0:
        return None
    text = str(best)
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        return None
    return text, str(best.encoding)
