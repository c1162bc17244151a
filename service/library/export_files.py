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
    table = [list(header), *rows]

    def write(temp: Path) -> None:
        if suffix == ".xlsx":
            _xlsx(temp, table, sheet)
        else:
            with open(temp, "w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel then reads UTF-8
                csv.writer(out).writerows(table)

    atomic_write(path, write)
    return suffix[1:]


def atomic_write(path: Path, write) -> None:
    """Call ``write(temp_path)`` for a temp file beside ``path``, then rename it over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise KnowledgeBaseError(f"目录不存在:{folder}")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=folder)
    os.close(handle)
    try:
        write(Path(temp_name))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp_name, 0o666 & ~mask)  # mkstemp makes the file private; an export is not
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


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
