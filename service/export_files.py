"""Tables written for people: one header row and rows, to an .xlsx or a .csv file, atomically
(a temp file beside the target, then a rename), so a failed export never leaves half a file.

>>> export_rows(Path("targets.xlsx"), ["地区", "指标"], [["辽宁省", "死亡人数"]], sheet="规划目标")
'xlsx'
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from regkb.service.validation import KnowledgeBaseError

EXPORT_FORMATS = (".xlsx", ".csv")


def export_rows(path: Path, header: list[str] | tuple[str, ...], rows: list[list[str]], sheet: str) -> str:
    """Write the table to ``path``; returns the format ("xlsx" or "csv")."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise KnowledgeBaseError(f"不支持导出为“{path.suffix or path.name}”格式,请使用 {' 或 '.join(EXPORT_FORMATS)} 文件名")
    if not path.parent.is_dir():  # Path("x.csv").parent is Path(".")
        raise KnowledgeBaseError(f"目录不存在:{path.parent}")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        table = [list(header), *rows]
        if suffix == ".xlsx":
            _xlsx(Path(temp_name), table, sheet)
        else:
            with open(temp_name, "w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel then reads UTF-8
                csv.writer(out).writerows(table)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp_name, 0o666 & ~mask)  # mkstemp makes the file private; an export is not
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return suffix[1:]


def _xlsx(path: Path, table: list[list[str]], sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in table:
        worksheet.append(row)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    workbook.save(path)
