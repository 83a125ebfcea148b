"""The staging folder of a run, its lock, and publishing it atomically.

A run writes into a hidden sibling of its dataset directory,
``.<version>.tmp-<host>-<pid>-<random>``, holds a lock on its :data:`LOCK_NAME` while it
lasts (POSIX), and renames it into place when every file and the manifest are written
(:func:`commit`), so an interrupted or failed run leaves nothing under the final name.
Folders left by runs that were killed are removed by the next run of the version
(:func:`remove_stale_staging`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import socket
import stat
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from calmops_gen.errors import DatasetError, ScenarioError
from calmops_gen.manifest import Manifest
from calmops_gen.verify import regular_file

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a run's liveness is its process id alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("calmops_gen")

#: The file in a staging folder that its run keeps locked while it lasts (POSIX).
LOCK_NAME = ".lock"


def host() -> str:
    """This machine's name as it appears in staging folder names (letters, digits, ``-``)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (``True`` when it cannot be told)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the hidden folders of ``final`` left by runs killed on this machine.

    A run stopped by SIGKILL (or a power cut) cannot remove its staging folder
    ``.<version>.tmp-<host>-<pid>-<random>``, nor, when it was replacing a corrupt version,
    the old one it had moved aside to ``.<version>.old-<host>-<pid>-<random>``. Every run of
    the version removes those of this host whose run has ended: its process no longer
    exists and, where ``fcntl`` is available, the lock that a run holds on its staging
    folder's :data:`LOCK_NAME` while it lasts is free. The lock decides where the process
    id cannot: runs in containers that share the host's name but not its process ids see
    each other's ids as unused. Folders of other machines (an output root shared over the
    network) and of live runs are left alone, and so is anything under such a name that is
    not a real folder (a symbolic link is never followed, renamed or removed: a run makes
    none).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     final = Path(root) / "abc"
    ...     dead = Path(root) / f".abc.tmp-{host()}-999999999-0123abcd"
    ...     (dead / "data").mkdir(parents=True)
    ...     mine = Path(root) / f".abc.tmp-{host()}-{os.getpid()}-0123abcd"
    ...     mine.mkdir()
    ...     [p.name == dead.name for p in remove_stale_staging(final)], mine.exists()
    ([True], True)
    """
    here = host()
    pattern = re.compile(
        rf"\.{re.escape(final.name)}\.(tmp|old)-{re.escape(here)}-(\d+)-([0-9a-f]{{8}})"
    )
    try:
        entries = sorted(final.parent.iterdir())
    except OSError:  # no such folder yet, or unreadable: nothing of ours to remove
        return []
    removed = []
    for path in entries:
        match = pattern.fullmatch(path.name)
        if match is None or not _real_folder(path) or alive(int(match.group(2))):
            continue
        staging = path.with_name(f".{final.name}.tmp-{here}-{match.group(2)}-{match.group(3)}")
        with _ended(staging) as ended:
            if not ended:
                continue
            # Moved under a name of this run's, then removed: a run alive after all (it
            # drops its lock file just before publishing; some file systems have no locks)
            # fails on its missing folder instead of publishing one being emptied, and if
            # this run is killed meanwhile, the next finds a dead run's folder again.
            claim = _hidden(final, "tmp")
            try:
                path.rename(claim)
            except OSError:  # gone meanwhile: published, or removed by another clean-up
                continue
            shutil.rmtree(claim, ignore_errors=True)
        log.info("removed %s, left by a run that was killed", path)
        removed.append(path)
    return removed


def _real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder and not a symbolic link to one."""
    return path.is_dir() and not path.is_symlink()


def _hidden(final: Path, kind: str) -> Path:
    """A new hidden sibling of ``final`` named after this host and process."""
    return final.with_name(f".{final.name}.{kind}-{host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def _ended(staging: Path) -> Iterator[bool]:
    """Whether the run of ``staging`` (whose process id is unused here) has ended; if so
    its lock is held until the caller has removed its folders.

    Without ``fcntl``, without its staging folder (the run published, or its clean-up is
    done), without a lock file, with one that is a link or not a regular file (a run makes
    neither), or on a file system without locks, the process id has the last word. A lock
    file this process may not open (another user's run) counts as a live run's.
    """
    fd = None
    ended = True
    if fcntl is not None and _real_folder(staging):
        try:
            fd = _open_lock(staging / LOCK_NAME)
        except FileNotFoundError:  # the process id has the last word
            pass
        except OSError as exc:
            # a link (a run makes none): the process id decides; a lock file this process
            # may not open (another user's run, in a container that shares the host's
            # name) is a live run's, left alone
            ended = exc.errno == errno.ELOOP
        else:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                ended = _lock(fd, staging)  # held: alive in a process we cannot see
            else:  # a pipe or a device named .lock: no run's; the process id decides
                os.close(fd)
                fd = None
    try:
        yield ended
    finally:
        if fd is not None:
            os.close(fd)


def _open_lock(path: Path) -> int:
    """Open another run's lock file without creating it, following a link or waiting (a
    pipe named ``.lock`` would block a read): for writing where allowed (NFS locks need
    it), else read only (another user's file)."""
    flags = os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        return os.open(path, os.O_RDWR | flags)
    except PermissionError:
        return os.open(path, os.O_RDONLY | flags)


@contextlib.contextmanager
def _held(staging: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``staging``'s :data:`LOCK_NAME` while the run lasts
    (:func:`remove_stale_staging` leaves the folder of a locked run alone). The lock ends
    with the process, however it ends; the workers of a process pool share it."""
    if fcntl is None:
        yield
        return
    fd = os.open(staging / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        if not _lock(fd, staging):  # another run's clean-up is removing it as a dead run's
            raise DatasetError(
                f"{staging}: another run took this new staging folder for a killed run's; "
                "nothing was written: run again"
            )
        yield
    finally:
        os.close(fd)


def _lock(fd: int, staging: Path) -> bool:
    """Take the exclusive lock on ``staging``'s open lock file ``fd`` without waiting:
    ``False`` when another process holds it. A file system without locks (some network
    ones) counts as taken: there the process id alone tells whether a run is alive."""
    assert fcntl is not None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        log.debug("cannot lock %s (%s)", staging / LOCK_NAME, exc.strerror)
    return True


@contextlib.contextmanager
def staging_folder(final: Path, folders: Sequence[str]) -> Iterator[Path]:
    """A temporary sibling of ``final`` holding the (empty) ``folders``, locked while the
    run lasts (:func:`_held`); removed (with any parents it created) on failure.

    The folders are made here, once: a run never makes them again, so a staging folder
    removed while the run writes is an error, not a new folder missing earlier blocks.
    """
    created: list[Path] = []
    parent = final.parent
    for p in [parent, *parent.parents]:
        if p.exists():
            break
        created.append(p)
    staging = _hidden(final, "tmp")
    try:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
        except OSError as exc:
            raise ScenarioError(
                "output.root", f"cannot create {parent}: {exc.strerror or exc}"
            ) from None
        with _held(staging):
            for name in folders:
                (staging / name).mkdir()
            yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for p in created:
            with contextlib.suppress(OSError):
                p.rmdir()
        raise


def check_staged(staging: Path, manifest: Manifest) -> None:
    """Every file ``manifest`` lists is in ``staging``, a regular file of the size written
    (another process may have removed or changed files of a live run's staging folder)."""
    for info in manifest.files:
        found = regular_file(staging / info.path)
        if isinstance(found, str):
            problem = found
        elif found.st_size != info.bytes:
            problem = f"{found.st_size} bytes, the manifest says {info.bytes}"
        else:
            continue
        raise DatasetError(
            f"{staging}: {info.path}: {problem} after it was written (another process "
            "changed the staging folder); nothing was written"
        )


def commit(staging: Path, final: Path, replacing: bool) -> bool:
    """Rename ``staging`` to ``final`` (moving a corrupt old version aside when replacing).

    Returns ``False``, with ``staging`` removed, when another run published ``final`` first.
    """
    (staging / LOCK_NAME).unlink(missing_ok=True)  # not part of the dataset
    old = None
    if replacing and final.exists():
        # named as the staging folder is, so that a run killed before removing it leaves a
        # folder that the next run's clean-up recognises
        old = staging.with_name(staging.name.replace(".tmp-", ".old-", 1))
        final.rename(old)
    try:
        staging.rename(final)
    except OSError as exc:
        if old is not None:
            old.rename(final)
        elif exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            shutil.rmtree(staging, ignore_errors=True)
            return False
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:  # a file or link where the version directory should be
            old.unlink(missing_ok=True)
    return True
