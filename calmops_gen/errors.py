"""Errors raised by calmops-gen.

Every problem with user input is a :class:`ScenarioError`: it names the config path that is
wrong (``drift.shift_x0.profile.width``) and says what would be right. The command line turns
it into exit status 2 and a one-paragraph message without a traceback.

Examples
--------
>>> err = ScenarioError("drift.shift_x0.profile.width", "must be > 0 (got -5)")
>>> str(err)
'drift.shift_x0.profile.width: must be > 0 (got -5)'
>>> import pickle
>>> pickle.loads(pickle.dumps(err)).path
'drift.shift_x0.profile.width'
"""

from __future__ import annotations

import contextlib
import difflib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any


class CalmopsError(Exception):
    """Base class of every error calmops-gen raises on purpose."""


class ScenarioError(CalmopsError):
    """A scenario (or one of its parts) is invalid.

    Parameters
    ----------
    path
        Dotted config path of the offending key (``""`` for the whole scenario).
    message
        What is wrong and, where possible, what would be valid.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        # pickled by the process executor when a worker finds a problem in the data
        return type(self), (self.path, self.message)

    def each(self, fn: Callable[[ScenarioError], ScenarioError]) -> ScenarioError:
        """``fn`` applied to this problem (to each problem, for :class:`ScenarioErrors`)."""
        return fn(self)


class ScenarioErrors(ScenarioError):
    """Several independent problems found in one validation pass."""

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = errors
        super().__init__("", "\n".join(str(e) for e in errors))

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), (self.errors,)

    def each(self, fn: Callable[[ScenarioError], ScenarioError]) -> ScenarioError:
        return ScenarioErrors([e.each(fn) for e in self.errors])


@contextlib.contextmanager
def renamed_paths(names: Mapping[str, str]) -> Iterator[None]:
    """A :class:`ScenarioError` raised in the block with its path's prefix renamed
    (``names``: prefix -> new prefix), so a facade's user reads ``date_start: ...``, not the
    engine's ``schedule.start: ...``.

    Examples
    --------
    >>> with renamed_paths({"schedule.start": "date_start"}):  # doctest: +ELLIPSIS
    ...     raise ScenarioError("schedule.start.tz", "unknown")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: date_start.tz: unknown
    """

    def rename(err: ScenarioError) -> ScenarioError:
        for prefix, new in names.items():
            if err.path == prefix or err.path.startswith(prefix + "."):
                return ScenarioError(new + err.path[len(prefix) :], err.message)
        return err

    try:
        yield
    except ScenarioError as err:
        raise err.each(rename) from None


class DatasetError(CalmopsError):
    """An existing dataset directory cannot be used (corrupt, unreadable, refused)."""


def repeated(names: Iterable[Hashable]) -> list[Any]:
    """The names that occur more than once, sorted (for an error about duplicate columns).

    Examples
    --------
    >>> repeated(["a", "b", "a", "c", "b"])
    ['a', 'b']
    """
    return sorted(name for name, count in Counter(names).items() if count > 1)


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return a ``"; did you mean 'x'?"`` hint for a misspelt name, or ``""``.

    Examples
    --------
    >>> suggest("saa", ["sea", "agrawal"])
    "; did you mean 'sea'?"
    >>> suggest("zzz", ["sea"]), suggest(3, ["sea"])  # not a name: no suggestion
    ('', '')
    """
    if not isinstance(name, str):
        return ""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none), for a
    one-line report of an error raised by a library.

    Examples
    --------
    >>> first_line(ValueError("bad value\\nmore detail")), first_line(OSError())
    ('bad value', 'OSError')
    """
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def join_path(*parts: object) -> str:
    """Join config path parts with dots, skipping empty ones.

    Examples
    --------
    >>> join_path("drift", "x", "", 3)
    'drift.x.3'
    """
    return ".".join(str(p) for p in parts if p != "" and p is not None)
