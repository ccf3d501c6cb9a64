"""Errors in Chinese for staff: the lower layers' messages (English, for the API and logs) read
through a catalogue of their known forms; an unknown form keeps a Chinese headline by error type
and the original text as the detail, so nothing a staff member needs is hidden.

The catalogue matches the message text (ValidationError's `message`, without the field prefix);
`tests/console/test_console_messages.py` raises the real errors of the docking, programme and
plan code and checks each reads in Chinese, so a reworded message fails there, not silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from techmatch.api.console.labels import ACHIEVEMENT_TYPE, LANGUAGE, NEED_STATUS
from techmatch.errors import (
    ConflictError,
    IndexError_,
    InfeasibleError,
    LockedError,
    NotFoundError,
    StoreUnavailableError,
    TechmatchError,
    ValidationError,
)
from techmatch.models.dockings import STAGE_LABELS

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _stage(code: str) -> str:
    return STAGE_LABELS.get(code.strip("'\""), code)


def _stages(listed: str) -> str:
    """'contacted (已联系), dropped (终止)' or 'none' → '已联系、终止' / '无'."""
    codes = [part.split(" (")[0].strip() for part in listed.split(",") if part.strip()]
    return "、".join(_stage(c) for c in codes if c != "none") or "无"


def _move(m: re.Match[str]) -> str:
    hint = "；重新打开需要管理员权限" if m.group(4) else ""
    return (f"不能从「{_stage(m.group(1))}」改为「{_stage(m.group(2))}」；"
            f"当前阶段可改为：{_stages(m.group(3))}{hint}")


_KIND = {"need": "需求", "achievement": "成果", "expert": "专家", "city": "城市",
         "team": "服务团", "event": "活动", "industry": "行业", "target": "目标",
         "pilot city": "试点城市", "service team": "服务团"}

# Docking, programme, plan and store messages (techmatch/matcher/dockings, programme, plans,
# assignment; techmatch/store/dockings, programme).
_RULES: tuple[Rule, ...] = (
    (re.compile(r"^cannot move from (\w+) \(.*?\) to (\w+) \(.*?\); allowed from \w+: (.*?)"
                r"(; reopening needs an admin key)?$"), _move),
    (re.compile(r"^unknown stage '(.*)'; valid: .*$"), r"未知阶段 \1"),
    (re.compile(r"^docking (\S+) (?:is at version (\d+), not \d+|changed since version \d+)"
                r": it is now at stage '(\w+)'.*$"),
     lambda m: f"对接 {m.group(1)} 已被他人更新，现处于「{_stage(m.group(3))}」阶段；"
               "请刷新页面后重试"),
    (re.compile(r"^a docking for need '(.+)' and candidate '(.+)' exists already: (\S+)$"),
     r"需求 \1 与 \2 的对接已存在（\3）"),
    (re.compile(r"^this need and candidate already have a docking"), "该需求与对象的对接已存在"),
    (re.compile(r"^no docking with id '(.+)'$"), r"没有编号为 \1 的对接"),
    (re.compile(r"^no docking for (\S+)/(\S+)$"), r"需求 \1 与 \2 之间没有对接"),
    (re.compile(r"^no need with id '(.+)'$"), r"没有编号为 \1 的需求"),
    (re.compile(r"^no achievement or expert with id '(.+)'$"), r"没有编号为 \1 的成果或专家"),
    (re.compile(r"^no (need|achievement|expert|city|team|event|industry|target|pilot city|"
                r"service team) with id (.+)$"),
     lambda m: f"没有编号为 {m.group(2).replace(chr(39), '')} 的{_KIND[m.group(1)]}"),
    (re.compile(r"^no service team '(.+)'; teams: (.*)$"), r"没有服务团 \1（现有：\2）"),
    (re.compile(r"^dropping needs a reason; valid: .*$"), "终止对接需要选择原因"),
    (re.compile(r"^reason 'other' needs a (?:free-text )?reason[ _]note$"),
     "原因为「其他」时需要填写说明"),
    (re.compile(r"^a reason \(and never_suggest\) is only given when dropping"),
     "只有终止对接时才填写原因"),
    (re.compile(r"^a reason is given exactly when the stage is dropped"),
     "阶段为终止时必须填写原因，其他阶段不填"),
    (re.compile(r"^signing needs the contract"),
     "签约需要填写合同类型和金额（万元）；签约日期不填为今天"),
    (re.compile(r"^a signed docking needs contract type"), "签约的对接需要合同类型和金额（万元）"),
    (re.compile(r"^a contract is only given when moving to signed"), "只有改为签约时才填写合同"),
    (re.compile(r"^contract columns are only filled for signed or completed"),
     "只有签约或完成的对接才填写合同列"),
    (re.compile(r"^give owner, team or keep_open$"), "请填写负责人、服务团或保持需求开放"),
    (re.compile(r"^a docking pairs a need with an achievement or expert"),
     "对接只能在需求与成果或专家之间建立"),
    (re.compile(r"^unknown source '(.*)'; valid: .*$"), r"未知来源 \1"),
    (re.compile(r"^the window ends \((.+)\) before it starts \((.+)\)$"),
     r"结束日期（\1）早于开始日期（\2）"),
    (re.compile(r"^the stage date is before the creation date$"), "阶段日期早于创建日期"),
    (re.compile(r"^date in the future: (.*)$"), r"日期晚于今天：\1"),
    (re.compile(r"^unknown dimensions (.*); valid: (.*)$"), r"未知统计维度 \1（可选：\2）"),
    (re.compile(r"^filter on '(.+)' needs it among the dimensions"),
     r"按 \1 筛选时需要把它列为统计维度"),
    (re.compile(r"^a roadshow becomes an event only with a date$"),
     "路演方案需要日期才能保存为活动"),
    (re.compile(r"^a roadshow becomes an event only with a city$"),
     "路演方案需要城市才能保存为活动"),
    (re.compile(r"^unknown event type '(.*)'; valid: .*$"), r"未知活动类型 \1"),
    (re.compile(r"^unknown registry '(.*)'; valid: .*$"), r"未知名录 \1"),
    (re.compile(r"^give need ids or a service team$"), "请选择需求或服务团"),
    (re.compile(r"^give expert ids or a service team with experts$"), "请选择专家或含专家的服务团"),
    (re.compile(r"^team (\S+) lists no needs and no city, province or"),
     r"服务团 \1 没有列出需求，也没有城市、省份或行业范围"),
    (re.compile(r"^no open needs to serve \((.*)\)$"), r"没有待服务的需求（\1）"),
    (re.compile(r"^closed needs cannot be served: (.*)$"),
     lambda m: f"{m.group(1).replace(', ', '、')} 已关闭，不能派单，请从需求编号中删去"),
    (re.compile(r"^no achievement of an overseas expert among the candidates$"),
     "候选成果中没有海外专家的成果"),
    (re.compile(r"^unknown (solver|objective) '(.*)'; valid: .*$"),
     lambda m: f"未知{'求解器' if m.group(1) == 'solver' else '优化目标'} {m.group(2)}"),
    (re.compile(r"^unknown id '(.+)'$"), r"未知编号 \1"),
    (re.compile(r"^duplicate id '(.+)'$"), r"编号 \1 重复"),
    (re.compile(r"^required$"), "必填"),
    (re.compile(r"^must be between (\S+) and (\S+)$"), r"应在 \1 到 \2 之间"),
    (re.compile(r"^must be >= (\S+)$"), r"应不小于 \1"),
    (re.compile(r"^not a date \(YYYY-MM-DD\): (.*)$"), r"不是日期（应为 YYYY-MM-DD）：\1"),
    (re.compile(r"^not a number: (.*)$"), r"不是数字：\1"),
    (re.compile(r"^unknown value (.*); valid: (.*)$"), r"未知取值 \1（可选：\2）"),
    (re.compile(r"^no index for kind '(need|achievement|expert)'; run `techmatch index`$"),
     lambda m: f"{_KIND[m.group(1)]}索引尚未建立：导入记录后运行 techmatch index"),
    (re.compile(r"^lock '(.+)' is held by another (?:node|process).*$"),
     r"另一个进程正在执行「\1」，请稍后重试"),
)

_JSON_TYPE: dict[str, str] = {"list": "数组", "dict": "对象", "str": "字符串", "int": "数字",
                              "float": "数字", "bool": "布尔值", "NoneType": "null"}

# enum codes of the loaded records (status, type, language) → the words staff type in a file
_VALUE_LABELS: dict[str, str] = {**NEED_STATUS, **ACHIEVEMENT_TYPE, **LANGUAGE}


def _one_of(m: re.Match[str]) -> str:
    """"must be one of 'open', 'matched' or 'closed' (got 'x')" → the Chinese values the
    loader also accepts (待匹配、已匹配、已关闭), and what the row held."""
    codes = re.findall(r"'([^']*)'", m.group(1)) or [m.group(1)]
    words = list(dict.fromkeys(_VALUE_LABELS.get(c, c) for c in codes))
    got = f"（收到 {m.group(2).strip(chr(39))}）" if m.group(2) else ""
    return f"取值应为 {'、'.join(words)} 之一{got}"


# Loader row messages (techmatch/indexers/ingest): shown per row of an upload report.
ROW_RULES: tuple[Rule, ...] = (
    (re.compile(r"^is required$"), "必填"),
    (re.compile(r"^is not a field of this kind of record$"), "不是该类记录的字段"),
    (re.compile(r"^at least one text field \((.+)\) or keywords must be non-empty$"),
     "标题、正文与关键词至少填写一项"),
    (re.compile(r"^must be yes or no .*?(\(got .*\))?$"), "应为是或否（是/否、true/false、1/0）"),
    (re.compile(r"^must be one of (.+?)(?: \(got (.*)\))?$"), _one_of),
    (re.compile(r"^must be a whole number"), "应为整数"),
    (re.compile(r"^must be a date such as 2024-01-05, 2024/1/5 or 2024年1月5日"),
     "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日"),
    (re.compile(r"^may hold only letters.*?(?:\(got (.*)\))?$"),
     r"只能包含字母、数字、下划线、点、短横线、冒号或斜杠（收到 \1）"),
    (re.compile(r"^is longer than (\d+) characters$"), r"过长：最多 \1 个字符"),
    (re.compile(r"^has more than (\d+) items$"), r"过多：最多 \1 项"),
    (re.compile(r"^must be between (\S+) and (\S+)"), r"应在 \1 到 \2 之间"),
    (re.compile(r"^must be at least (\S+)"), r"应不小于 \1"),
    (re.compile(r"^must be at most (\S+)"), r"应不大于 \1"),
    (re.compile(r"^id '(.+)' is already stored as a (\w+)$"),
     lambda m: f"编号 {m.group(1)} 已被另一类记录（{_KIND.get(m.group(2), m.group(2))}）使用"),
    # the row as a whole (csvrows.py, readers.py, load.py): the pattern takes the whole text
    (re.compile(r"^the row has (\d+) fields but the header names (\d+) columns.*$"),
     r"该行有 \1 个字段，而表头有 \2 列（分隔符多了或少了，或引号没有闭合）"),
    (re.compile(r"^a quote opened on line (\d+) never closes .*?; fix the quoting of this row: "
                r"(.*)$", re.S),
     r"第 \1 行的引号没有闭合（否则其后的内容会并成一个字段），请修正该行的引号：\2"),
    (re.compile(r"^a quoted field runs from line (\d+) to line (\d+) and the row then has (\d+) "
                r"fields instead of (\d+).*$", re.S),
     r"引号内的字段从第 \1 行延续到第 \2 行，该行因此有 \3 个字段而不是 \4 个：可能是引号没有闭合；"
     r"其后各行单独读取"),
    (re.compile(r"^invalid JSON: .*\(column (\d+)\)$", re.S), r"不是有效的 JSON（第 \1 列附近）"),
    (re.compile(r"^expected a JSON object, got (\w+)$"),
     lambda m: f"应为 JSON 对象（{{…}}），收到{_JSON_TYPE.get(m.group(1), m.group(1))}"),
    (re.compile(r"^the row cannot be read: (.*)$", re.S), r"该行无法读取：\1"),
    (re.compile(r"^cannot decode the line: (.*)$", re.S),
     r"该行无法解码（既不是 UTF-8 也不是 GB18030）：\1"),
    (re.compile(r"^the row is marked confidential, but (\w+) records have no confidential.*$",
                re.S), lambda m: f"该行标记为保密，但{_KIND.get(m.group(1), m.group(1))}"
                                 "没有保密标记：未导入（保密记录请按需求导入）"),
    (re.compile(r"^the row holds a '(\w+)' record, expected '(\w+)'$"),
     lambda m: f"该行是{_KIND.get(m.group(1), m.group(1))}记录，应为"
               f"{_KIND.get(m.group(2), m.group(2))}"),
)

# A whole file the loader refuses (IngestError's message without the file prefix).
FILE_RULES: tuple[Rule, ...] = (
    (re.compile(r"^an Excel 97-2003 workbook \(\.xls\) cannot be read.*$"),
     "这是 Excel 97-2003 工作簿（.xls），无法读取：请在 Excel 中另存为 .xlsx"),
    (re.compile(r"^not a readable XLSX workbook.*$"),
     "不是可读取的 XLSX 工作簿（文件损坏或不是 XLSX）"),
    (re.compile(r"^the file has no header row \(it is empty\)$"), "文件为空，没有表头行"),
    (re.compile(r"^the file has no data rows \(it is empty\)$"), "文件没有数据行"),
    (re.compile(r"^the file has more than (\d+) data rows, the most one upload may hold "
                r"\(TECHMATCH_MAX_UPLOAD_ROWS\); split it, or load it with techmatch ingest$"),
     r"文件超过 \1 行数据（一次上传的上限，TECHMATCH_MAX_UPLOAD_ROWS），请拆分后分批上传，"
     r"或在服务器上用 techmatch ingest 导入"),
    (re.compile(r"^row (\d+), column ([A-Z]+)(?: \((.+)\))?: the cell holds (\d+) characters, "
                r"more than one cell of an upload may hold \((\d+), "
                r"TECHMATCH_MAX_UPLOAD_CELL_CHARS\)$", re.S),
     lambda m: f"第 {m[1]} 行 {m[2]} 列" + (f"（{m[3]}）" if m[3] else "")
     + f"的单元格有 {m[4]} 个字符，超过一次上传每个单元格的上限 {m[5]}"
       f"（TECHMATCH_MAX_UPLOAD_CELL_CHARS），请缩短后再上传"),
    (re.compile(r"^the workbook unpacks to (\d+) bytes, more than one upload may hold "
                r"\((\d+) bytes, TECHMATCH_MAX_UPLOAD_UNPACKED_BYTES\); its largest part is "
                r"(\S+) \((\d+) bytes\).*$", re.S),
     r"工作簿解压后有 \1 字节，超过一次上传的上限 \2 字节（TECHMATCH_MAX_UPLOAD_UNPACKED_BYTES），"
     r"最大的部分是 \3（\4 字节），可能有单元格存了超长文本：请拆分或清理后再上传，"
     r"或在服务器上用 techmatch ingest 导入"),
    (re.compile(r"^the rows look like (\w+) records, not (\w+) records: (.+?) (?:is an?|are) "
                r"\w+ fields? that .*$", re.S),
     lambda m: f"文件的列属于{_KIND[m.group(1)]}，而不是{_KIND[m.group(2)]}"
               f"（{_fields(m.group(3))} 是{_KIND[m.group(1)]}的字段）；"
               f"请把记录类型选为{_KIND[m.group(1)]}"),
    (re.compile(r"^missing required column 'id' \(any of: (.*?)\)(?: in the header \(row (\d+): "
                r"(.*)\))?$", re.S),
     lambda m: f"缺少编号列（可用表头：{_listed(m.group(1))}）"
               + (f"；第 {m.group(2)} 行被读作表头：{m.group(3)}" if m.group(2) else "")),
    (re.compile(r"^no text column: need one of (.*?)(?: \(header row (\d+): (.*)\))?$", re.S),
     lambda m: f"没有文本列：至少需要其中之一：{_listed(m.group(1))}"
               + (f"；第 {m.group(2)} 行被读作表头：{m.group(3)}" if m.group(2) else "")),
    (re.compile(r"^no sheet holds records .*; sheets: (.*)$", re.S),
     lambda m: f"工作簿中没有含记录的工作表（工作表：{_listed(m.group(1))}）"),
    (re.compile(r"^cannot decode the file.*$", re.S),
     "文件无法解码：应为 UTF-8、UTF-16 或 GB18030 编码的文本"),
    (re.compile(r"^not JSON Lines: .*$", re.S), "不是 JSON Lines：没有一行是 JSON 对象"),
    (re.compile(r"^invalid JSON at line (\d+) column (\d+): .*$", re.S),
     r"不是有效的 JSON（第 \1 行第 \2 列附近）"),
    (re.compile(r"^expected a JSON array of objects, got (\w+)$"),
     lambda m: f"应为 JSON 对象数组，收到{_JSON_TYPE.get(m.group(1), m.group(1))}"),
    (re.compile(r"^cannot decode line (\d+): .*$", re.S),
     r"第 \1 行无法解码（应为 UTF-8 或 GB18030）"),
)

# What the loader ignored (the report's warnings, after "<file>: ").
WARN_RULES: tuple[Rule, ...] = (
    (re.compile(r"^unknown columns ignored: (.*)$", re.S), r"已忽略未知列：\1"),
    (re.compile(r"^unknown keys ignored: (.*)$", re.S), r"已忽略未知字段：\1"),
    (re.compile(r"^column '(.+)' ignored: '(.+)' already gives '(\w+)'$"),
     r"已忽略列「\1」：「\2」已提供该字段"),
    (re.compile(r"^values in columns without a header were ignored$"), "没有表头的列中的值已忽略"),
    (re.compile(r"^an empty confidential cell kept the stored flag of (\d+) record\(s\) "
                r"\(rows (.*)\); write no / 否 to make a need public$", re.S),
     r"是否保密为空的 \1 条记录保留了原有的保密标记（第 \2 行）；要公开请填“否”"),
    (re.compile(r"^updated records kept their stored values of fields the file has no column "
                r"for: (.*)$", re.S),
     lambda m: "更新的记录保留了文件中没有的列的原值：" + _kept(m.group(1))),
    (re.compile(r"^row (\d+) was read as the header; the title rows above it were skipped: "
                r"(.*)$", re.S), r"第 \1 行作为表头，其上的标题行已跳过：\2"),
    (re.compile(r"^sheet '(.*)' was read; other sheets were not: (.*)$", re.S),
     lambda m: f"已读取工作表「{m.group(1)}」，未读取：{_listed(m.group(2))}"),
    (re.compile(r"^(行业.*?) ?\((?:un)?mapped industry\)$", re.S), r"\1"),
)
_WHERE = re.compile(r"^([^:]+?)(?:: \1)?(?:, row (\d+))?(?:, field '([^']+)')?: (.*)$", re.S)
_GOT = re.compile(r" \(got (.*)\)$")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")  # ids such as NOPE or E001 are not words

_HEADLINE: tuple[tuple[type[TechmatchError], str], ...] = (
    (StoreUnavailableError, "数据库暂时无法连接，请稍后重试"),
    (NotFoundError, "未找到"),
    (ConflictError, "操作冲突，请刷新后重试"),
    (LockedError, "另一个任务正在进行，请稍后重试"),
    (InfeasibleError, "约束无法同时满足"),
    (IndexError_, "索引尚未就绪"),
    (ValidationError, "输入有误"),
)


def _translate(rules: tuple[Rule, ...], message: str) -> str | None:
    for pattern, chinese in rules:
        m = pattern.match(message)
        if m:
            return chinese(m) if callable(chinese) else m.expand(chinese)
    return None


def row_message(message: str) -> str:
    """A loader's row message in Chinese when it is one of the known forms, else as given."""
    for pattern, chinese in ROW_RULES:
        if pattern.match(message):
            text = pattern.sub(chinese, message).replace("（收到 ）", "")  # type: ignore[arg-type]
            return _GOT.sub(r"（收到 \1）", text).replace("' or '", "'、'")
    return message


def _kept(listed: str) -> str:
    """'confidential (2), contact (1)' → '保密（2 条）、联系方式（1 条）'."""
    from techmatch.api.console.labels import FIELD

    pairs = re.findall(r"(\w+) \((\d+)\)", listed)
    return "、".join(f"{FIELD.get(name, name)}（{n} 条）" for name, n in pairs)


def _listed(names: str) -> str:
    """'a, b, c' → 'a、b、c'."""
    return "、".join(part.strip() for part in names.split(", "))


def _fields(listed: str) -> str:
    from techmatch.api.console.labels import FIELD

    return "、".join(FIELD.get(f.strip(), f.strip()) for f in listed.split(","))


def upload_error(exc: TechmatchError) -> str:
    """A refused upload in Chinese: '<file>：<reason>' (the loader's text when not catalogued)."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    source = exc.source if isinstance(exc, ValidationError) else None
    chinese = _translate(FILE_RULES, message) or _translate(ROW_RULES, message) or message
    return f"{source}：{chinese}" if source else chinese


def upload_warning(text: str) -> str:
    """A loader warning ('<file>[, row N][, field F]: text') in Chinese."""
    m = _WHERE.match(text)
    if m is None:
        return _translate(WARN_RULES, text) or text
    where, row, field, body = m.groups()
    if row:
        where += f" 第 {row} 行"
    return f"{where}：{_translate(WARN_RULES, body) or body}"


def error_message(exc: TechmatchError, field_label: Callable[[str], str] | None = None) -> str:
    """What a staff member reads for `exc`: Chinese, naming the field (in Chinese) when known."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    field = exc.field if isinstance(exc, ValidationError) else getattr(exc, "field", None)
    chinese = _translate(_RULES, message)
    if chinese is None and _CHINESE.search(message) and not _ENGLISH_WORD.search(message):
        chinese = message  # raised in Chinese already (console and programme code)
    if chinese is None:
        headline = next((text for kind, text in _HEADLINE if isinstance(exc, kind)), "操作未完成")
        chinese = f"{headline}（详情：{message}）"
    if field and field_label is not None:
        return f"{field_label(field)}：{chinese}"
    return chinese

