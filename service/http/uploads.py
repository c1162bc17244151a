"""Uploaded files: a safe name, a type read from the content, a size cap, an atomic write.

The extension alone proves nothing: a ``.pdf`` must start like a PDF, a ``.docx`` must be a
zip holding ``word/document.xml``, a text file must decode and hold no NUL bytes.

>>> safe_file_name("../../etc/安全生产法.md")
'安全生产法.md'
>>> sniff_matches(".pdf", b"%PDF-1.7 ...")
True
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

from regkb.ingest.readers import SUPPORTED_SUFFIXES, TEXT_ENCODINGS
from regkb.service.validation import KnowledgeBaseError

MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200  # file systems allow 255 bytes a name; a Chinese character takes 3 in UTF-8
COPY_BLOCK = 1 << 16
SNIFF_BYTES = 4096
_UNSAFE = re.compile(r"[/\\:*?\"<>|]")
# control and format characters (C0/C1 controls, bidi overrides, zero-width marks): a name
# holding them can show as another name ("x\u202excod.md" reads as "xdm.docx")
_INVISIBLE = ("Cc", "Cf")


class UploadError(KnowledgeBaseError):
    """An upload refused before it reaches the store (HTTP 400, or 413 when too large)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def safe_file_name(name: str, allowed: tuple[str, ...] = SUPPORTED_SUFFIXES) -> str:
    """The last path part, without control or shell characters, not hidden, not too long."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE)
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    stem, suffix = os.path.splitext(name)
    name = _shortened(stem, MAX_NAME_BYTES - len(suffix.encode()))[: MAX_NAME_CHARS - len(suffix)] + suffix.lower()
    if not stem.strip("_ "):
        raise UploadError(f"文件名不可用：{name or '（空）'}；请用有意义的文件名，如 安全生产法.md")
    if suffix.lower() not in allowed:
        raise UploadError(f"{name}：不支持的文件格式，支持 {'、'.join(allowed)}")
    return name


def _shortened(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` in UTF-8, at a character boundary."""
    return text.encode("utf-8")[:max(0, max_bytes)].decode("utf-8", errors="ignore")


def head_text(head: bytes, complete: bool) -> str | None:
    """The text of a file's first bytes in a supported encoding, or None. A head that is not the
    whole file may end inside a multi-byte character: the incremental decoder keeps that part back."""
    for encoding in TEXT_ENCODINGS:
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
    return None


def sniff_matches(suffix: str, head: bytes, path: Path | None = None, complete: bool = True) -> bool:
    """Does the content look like what the extension says? (``path`` lets zip formats be opened;
    ``complete``: ``head`` is the whole file, not its first block.)"""
    if suffix == ".pdf":
        return head.lstrip(b"\r\n\t ").startswith(b"%PDF-")
    if suffix in (".docx", ".xlsx"):
        if not head.startswith(b"PK\x03\x04") or path is None:
            return False
        member = "word/document.xml" if suffix == ".docx" else "xl/workbook.xml"
        try:
            with zipfile.ZipFile(path) as archive:
                return member in archive.namelist()
        except zipfile.BadZipFile:
            return False
    if b"\x00" in head:
        return False
    text = head_text(head, complete)
    if text is None:
        return False
    if suffix in (".html", ".htm"):
        return "<" in text
    return True


def save_upload(stream: BinaryIO, name: str, folder: Path, max_bytes: int,
                allowed: tuple[str, ...] = SUPPORTED_SUFFIXES) -> Path:
    """Copy an upload into ``folder`` block by block (never all in memory), check it, rename it in."""
    name = safe_file_name(name, allowed)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    temp = Path(temp_name)
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            while block := stream.read(COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise UploadError(f"{name}：文件太大（上限 {max_bytes // (1 << 20)} MB）", status=413)
                out.write(block)
        if size == 0:
            raise UploadError(f"{name}：文件是空的")
        with open(temp, "rb") as saved:
            head = saved.read(SNIFF_BYTES)
        suffix = Path(name).suffix
        if not sniff_matches(suffix, head, temp, complete=size <= SNIFF_BYTES):
            raise UploadError(f"{name}：文件内容与扩展名 {suffix} 不符（按内容检查，不只看扩展名）")
        target = folder / name
        os.replace(temp, target)
        return target
    finally:
        temp.unlink(missing_ok=True)


def save_uploads(uploads: list[tuple[BinaryIO, str]], folder: Path, max_bytes: int) -> list[Path]:
    """Save the files of one request into a new ``folder``, all or none: every name is checked
    before anything is written, two files may not share a name, and a refused file takes the
    folder with it."""
    names = [safe_file_name(name) for _, name in uploads]
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice:
        raise UploadError(f"一次上传中有两个文件同名：{twice}；请改名后再上传")
    try:
        return [save_upload(stream, name, folder, max_bytes) for (stream, _), name in zip(uploads, names)]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
