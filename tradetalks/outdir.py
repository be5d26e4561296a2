"""Output directories written all or nothing, with the user's umask.

``OutputDir`` checks the location and creates a hidden sibling before any work starts, then
writes every file there and swaps it in whole: a new directory appears complete, an existing
one is replaced whole (atomically exchanged on Linux) or not at all. Hidden siblings left by
a killed writer are removed the next time the same directory is written.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

TMP_TAG = ".tradetalks-tmp-"  # hidden siblings: .<name>.tradetalks-tmp-<pid>-<random>
RENAME_EXCHANGE = 2  # renameat2 flag (linux/fs.h): swap two paths atomically
AT_FDCWD = -100  # renameat2: paths relative to the working directory


class OutputError(Exception):
    """The output directory cannot be written; ``bad_input`` when the user named a bad path."""

    def __init__(self, message: str, bad_input: bool) -> None:
        super().__init__(message)
        self.bad_input = bad_input


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the call is unavailable."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(b))
    return True


class OutputDir:
    """A directory that appears (or is replaced) complete, or not at all."""

    def __init__(self, target: Path) -> None:
        self.target = Path(os.path.abspath(target))
        self.tmp: Path | None = None

    def prepare(self) -> None:
        """Check the location and create the hidden sibling; call before the work starts."""
        t = self.target
        if t.exists() and not t.is_dir():
            raise OutputError(f"--out {t} exists and is not a directory", bad_input=True)
        parent = t.parent
        for p in (parent, *parent.parents):
            if p.exists():
                if not p.is_dir():
                    raise OutputError(f"--out {t}: {p} is not a directory", bad_input=True)
                break
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._clean_leftovers()
            self.tmp = Path(
                tempfile.mkdtemp(prefix=f".{t.name}{TMP_TAG}{os.getpid()}-", dir=parent)
            )
        except OSError as exc:
            raise OutputError(f"cannot write --out {t}: {exc.strerror or exc}", False) from None
        os.chmod(self.tmp, 0o777 & ~_umask())

    def _clean_leftovers(self) -> None:
        for p in self.target.parent.glob(f".{self.target.name}{TMP_TAG}*"):
            pid_text = p.name.rsplit(TMP_TAG, 1)[1].split("-", 1)[0]
            if not pid_text.isdigit() or not _pid_alive(int(pid_text)):
                shutil.rmtree(p, ignore_errors=True)

    def commit(self, files: dict[str, bytes]) -> None:
        """Write ``files`` into the hidden sibling and swap it in as the target, whole."""
        if self.tmp is None:
            self.prepare()
        assert self.tmp is not None
        mode = 0o666 & ~_umask()
        try:
            for name, data in files.items():
                path = self.tmp / name
                with open(path, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(path, mode)
            self._swap()
        except OSError as exc:
            self.abort()
            raise OutputError(
                f"cannot write --out {self.target}: {exc.strerror or exc}", False
            ) from None

    def _swap(self) -> None:
        assert self.tmp is not None
        if not self.target.exists():
            os.rename(self.tmp, self.target)
            self.tmp = None
            return
        if not self.target.is_dir():
            raise OutputError(f"--out {self.target} exists and is not a directory", True)
        if _exchange(self.tmp, self.target):
            old, self.tmp = self.tmp, None
            shutil.rmtree(old, ignore_errors=True)  # the old contents, now hidden
            return
        # no atomic exchange on this system: move the old aside, then the new in
        aside = self.target.with_name(f".{self.target.name}{TMP_TAG}{os.getpid()}-old")
        os.rename(self.target, aside)
        os.rename(self.tmp, self.target)
        self.tmp = None
        shutil.rmtree(aside, ignore_errors=True)

    def abort(self) -> None:
        """Remove the hidden sibling (nothing of this write remains)."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
