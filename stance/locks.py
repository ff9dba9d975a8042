"""An exclusive lock on an output file, so two scoring runs never write the same file.

The lock is a file ``<out>.lock`` beside the output, created with ``O_EXCL`` (atomic on local
file systems) and holding the writer's pid. A second run that finds a live pid refuses with a
one-line error; a lock left by a dead pid (a killed run) is taken over with a warning.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TextIO, TypeVar

from stance.errors import Errors, StanceError

P = ParamSpec("P")
R = TypeVar("R")


def lock_path(out: Path) -> Path:
    """The lock file of an output file: ``<out>.lock`` in the same folder."""
    return out.with_name(out.name + ".lock")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to another user
        return True
    except OSError:
        return False
    return True


def _holder(lock: Path) -> int | None:
    """The pid written in a lock file; None when it is empty or unreadable (being written)."""
    try:
        return int(lock.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _create(lock: Path) -> None:
    fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    except OSError:  # e.g. a full disk: leave no empty lock behind
        os.close(fd)
        lock.unlink()
        raise
    os.close(fd)


def check_writable(path: Path, template: str = Errors.E018) -> None:
    """Make the folder of ``path`` if needed; raise ``template`` (E018) when ``path`` cannot be a file there."""
    if path.is_dir():
        raise StanceError(template.format(path=path, detail="it is a folder"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StanceError(template.format(path=path, detail=f"{path.parent} is a file, not a folder")) from None
    except OSError as exc:
        raise StanceError(template.format(path=path, detail=exc.strerror or str(exc))) from None


def acquire(out: Path, stderr: TextIO = sys.stderr) -> Path:
    """Take the lock of ``out``; return the lock file.

    Raises:
        StanceError: E040 when a live run holds it, E018 when its folder is not writable.
    """
    lock = lock_path(out)
    check_writable(out)
    for _ in range(2):
        try:
            _create(lock)
            return lock
        except FileExistsError:
            pid = _holder(lock)
            if pid is None or pid_alive(pid):
                raise StanceError(Errors.E040.format(out=out, pid=pid if pid is not None else "unknown",
                                                     lock=lock)) from None
            # A dead writer: move its lock aside (only one taker succeeds), then retry once.
            aside = lock.with_name(f"{lock.name}.stale.{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(lock, aside)
                if _holder(aside) != pid:  # another run took the stale lock over first: give it back
                    with contextlib.suppress(FileExistsError):
                        os.link(aside, lock)
                    os.unlink(aside)
                    continue
                os.unlink(aside)
                print(Errors.E041.format(lock=lock, pid=pid), file=stderr)
        except OSError as exc:
            raise StanceError(Errors.E018.format(path=out, detail=exc.strerror or str(exc))) from None
    pid = _holder(lock)
    raise StanceError(Errors.E040.format(out=out, pid=pid if pid is not None else "unknown", lock=lock))


def release(lock: Path) -> None:
    """Remove the lock file if this process still holds it."""
    if _holder(lock) == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


@contextlib.contextmanager
def output_lock(out: str | Path, stderr: TextIO = sys.stderr) -> Iterator[Path]:
    """Hold the lock of ``out`` for the duration of the block; released even when it fails."""
    lock = acquire(Path(out), stderr)
    try:
        yield lock
    finally:
        release(lock)


def locks_output(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function with an ``out`` (and optional ``stderr``) parameter to hold its lock."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        stderr: TextIO = bound.arguments.get("stderr") or sys.stderr
        with output_lock(bound.arguments["out"], stderr):
            return func(*args, **kwargs)

    return locked
