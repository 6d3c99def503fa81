"""Files the CLI writes (`-o`): whole or not at all, never over a device, a FIFO or a folder.

The bytes go to a temporary file in the target's folder, are flushed to disk, and the
temporary file is renamed over the target: a full disk or an interrupted command leaves
the previous file as it was. A symbolic link is followed, so the file it points to is
replaced and the link stays. An existing file is replaced only after the person says
yes (on a terminal) or with --force.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click

from warroom.domain.errors import InvalidInput, Problem, WarroomError


class FileError(WarroomError):
    """Reading or writing a file failed (disk full, permission, ...): nothing was written."""

    code = "io_error"


def write_output(path: Path, data: bytes, *, force: bool = False, option: str = "--output") -> Path:
    """Write `data` to `path` as described above; returns the file written."""
    return write_output_stream(path, [data], force=force, option=option)


def write_output_stream(
    path: Path, chunks: Iterable[bytes], *, force: bool = False, option: str = "--output"
) -> Path:
    """Write the bytes of `chunks`, as they come, to `path` as described above (a failure
    while they come leaves the previous file as it was); returns the file written."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise FileError(f"cannot write {path}: {exc.strerror or exc}") from None
    if existing is not None:
        _check_replaceable(path, existing.st_mode, option)
        if not force and not _confirmed(path):
            raise InvalidInput(
                [Problem(option, "exists", f"{path} exists; pass --force to replace it")]
            )
    folder = target.parent
    if not folder.is_dir():
        raise InvalidInput([Problem(option, "bad_path", f"folder {folder} does not exist")])
    mode = stat.S_IMODE(existing.st_mode) if existing else _default_mode()
    try:
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise FileError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise FileError(
                f"cannot write {path}: {exc.strerror or exc}; nothing was changed"
            ) from None
        raise
    _sync_folder(folder)
    return target


def _check_replaceable(path: Path, mode: int, option: str) -> None:
    if stat.S_ISDIR(mode):
        raise InvalidInput([Problem(option, "is_folder", f"{path} is a folder; give a file name")])
    if not stat.S_ISREG(mode):
        kind = (
            "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise InvalidInput(
            [Problem(option, "not_a_file", f"{path} is {kind}; warroom writes only regular files")]
        )


def _confirmed(path: Path) -> bool:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    return click.confirm(f"{path} exists. Replace it?", default=False)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after must not lose the new name)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_folder(folder: Path, contents: dict[str, bytes], *, option: str = "DIR") -> list[Path]:
    """Write several files into `folder` (made if missing) all or none: every file is
    first written and flushed to a temporary file beside its target; only when all are
    on disk are they renamed over their targets. A failure before that leaves the folder
    as it was."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput([Problem(option, "not_a_folder", f"{folder} is not a folder")])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileError(f"cannot make the folder {folder}: {exc.strerror or exc}") from None
    for name in contents:
        target = folder / name
        if target.exists() or target.is_symlink():
            _check_replaceable(
                target,
                target.lstat().st_mode if not target.is_symlink() else target.stat().st_mode,
                option,
            )
    written: list[tuple[str, Path]] = []
    try:
        for name, data in contents.items():
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
            written.append((temporary, folder / name))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, _default_mode())
    except BaseException as exc:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(exc, OSError):
            raise FileError(
                f"cannot write into {folder}: {exc.strerror or exc}; nothing was changed"
            ) from None
        raise
    for temporary, target in written:
        os.replace(temporary, os.path.realpath(target))
    _sync_folder(folder)
    return [target for _, target in written]
