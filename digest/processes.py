"""Work on processes forked from this one: begun ahead of need (`Ahead`), and ended with
the run they work for (`watch_parent`).

Standard library only: the flow's forkserver hands `watch_parent` to its
workers without importing the pipeline.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Ahead(Generic[T]):
    """fn(item, *args) for every item, begun now on up to `processes` processes forked
    from this one, while this process does something else; taken later, the taker
    doing what is left on its pool (`results`) or itself, beside them (`along`).

    Each process claims the next item nobody has claimed, does it, and so on;
    once none is left it sends what it did back in one message (sending as it
    goes would wait for this process, busy meanwhile). The taker claims for
    itself every item not begun when it asks: `get` answers None, and the
    taker does it (on its pool, say), so a slow start costs no more than the
    item a process is doing. A process that dies (killed, or with an answer
    that cannot be sent) leaves its items to the taker too. This process must
    run no thread when it forks (as for the pool). `cancel` ends the processes
    not heard from.
    """

    def __init__(self, fn: Callable[..., T], items: Sequence[Any], args: Sequence[Any],
                 processes: int) -> None:
        import mmap
        import multiprocessing
        import threading

        context = multiprocessing.get_context("fork")
        self.items = list(items)
        count = max(1, min(processes, len(self.items), _TAKER - 1))
        # Who does each item: nobody yet (0), the n-th process (n), or the taker. A
        # mapping of this `Ahead` alone: no later one can share it with a process left.
        self._claims = mmap.mmap(-1, max(1, len(self.items)))
        self._claiming = context.Lock()
        self._processes: list[Any] = []
        self._ends: list[Any] = []  # each process's receiving end
        self._found: dict[int, dict[int, tuple[bool, Any]] | None] = {}  # None: it died
        self._receiving = [threading.Lock() for _ in range(count)]
        self._cancelled = False
        for number in range(1, count + 1):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(  # it closes its copies of the receiving ends
                target=_work_ahead, daemon=True,
                args=(os.getpid(), number, send, [*self._ends, receive], fn, self.items, args,
                      self._claims, self._claiming))
            process.start()
            send.close()  # this process only receives: EOF if the other dies
            self._processes.append(process)
            self._ends.append(receive)

    def get(self, index: int) -> tuple[bool, Any] | None:
        """(True, result) or (False, exception) for items[index]; None when it is the
        taker's to do: not begun yet (it is claimed for the taker now), or its process
        died."""
        if self._cancelled or not self._lock_claims():
            return None
        owner = _claim(self._claims, index, _TAKER)
        self._claiming.release()
        if not owner or owner == _TAKER:
            return None
        answers = self._take(owner - 1)
        return None if answers is None else answers[index]

    def results(self, again: Callable[[list[Any]], list[T]]) -> list[T]:
        """Every item's result, in order. `again(items)` does the taker's items: first
        those not begun yet (while the processes finish theirs), then any a process
        that died had. An exception raised by fn is raised here, once every process
        has been heard from."""
        mine: list[int] = []
        if self._lock_claims():
            mine = [index for index in range(len(self.items))
                    if not _claim(self._claims, index, _TAKER)]
            self._claiming.release()
        try:
            done = dict(zip(mine, again([self.items[i] for i in mine]) if mine else [],
                            strict=True))
        except BaseException:
            self.cancel()
            raise
        return self._gather(done, again)

    def along(self, do: Callable[[Any], T]) -> list[T]:
        """Every item's result, in order, the taker doing items too (`do(item)`), one at a
        time as the processes do, then any a process that died had."""
        done: dict[int, T] = {}
        index = 0
        try:
            while self._lock_claims():
                while index < len(self.items) and _claim(self._claims, index, _TAKER):
                    index += 1
                self._claiming.release()
                if index == len(self.items):
                    break
                done[index] = do(self.items[index])
        except BaseException:
            self.cancel()
            raise
        return self._gather(done, lambda items: [do(item) for item in items])

    def _lock_claims(self) -> bool:
        """Take the claims' lock; False, with every process ended, when it stays taken for
        CLAIM_WAIT seconds: a process was killed holding it (a claim takes microseconds),
        and what is not done is then the taker's."""
        if self._claiming.acquire(timeout=CLAIM_WAIT):
            return True
        self.cancel()
        return False

    def _gather(self, done: dict[int, T], again: Callable[[list[Any]], list[T]]) -> list[T]:
        """`done` (the taker's results, by place) with the processes' results, in order."""
        for number in range(len(self._receiving)):  # nothing is left to claim: all end
            self._take(number)
        found = {index: self.get(index) for index in range(len(self.items)) if index not in done}
        for answer in found.values():
            if answer is not None and not answer[0]:
                raise answer[1]
        dead = [index for index, answer in found.items() if answer is None]
        if dead:
            done.update(zip(dead, again([self.items[i] for i in dead]), strict=True))
        return [done[i] if i in done else found[i][1]  # type: ignore[index]
                for i in range(len(self.items))]

    def cancel(self) -> None:
        """End the processes not heard from (their items are then the taker's)."""
        self._cancelled = True
        for number, receiving in enumerate(self._receiving):
            with receiving:
                if number not in self._found:
                    self._processes[number].terminate()
                    self._close(number, None)

    def _take(self, number: int) -> dict[int, tuple[bool, Any]] | None:
        with self._receiving[number]:
            if number not in self._found:
                try:
                    answers = self._ends[number].recv()
                except (EOFError, OSError):  # died (killed, or an answer that cannot be sent)
                    answers = None
                self._close(number, answers)
            return self._found[number]

    def _close(self, number: int, answers: dict[int, tuple[bool, Any]] | None) -> None:
        self._found[number] = answers
        self._ends[number].close()
        self._processes[number].join()


# The claim of an item the taker does itself (`Ahead`); processes are 1, 2, ...
_TAKER = 255


def _claim(claims: Any, index: int, owner: int) -> int:
    """Claim item `index` for `owner` unless it is claimed already; return its claim
    before (0: nobody's, so `owner`'s now). The claims' lock must be held."""
    before: int = claims[index]
    if not before:
        claims[index] = owner
    return before
# Seconds to wait for the claims' lock before taking its holder for dead.
CLAIM_WAIT = 5.0


def _work_ahead(run: int, number: int, send: Any, ends: Sequence[Any], fn: Callable[..., Any],
                items: Sequence[Any], args: Sequence[Any], claims: Any, claiming: Any) -> None:
    """The `Ahead` process `number` of the process `run`: fn(item, *args) for each item it
    claims, sent back in one message once nothing is left to claim.

    It first closes its copies of the receiving ends: were the process that
    asked killed, sending would then fail at once instead of waiting forever.
    """
    for end in ends:
        end.close()
    watch_parent(run)
    found: dict[int, tuple[bool, Any]] = {}
    for index, item in enumerate(items):
        if not claiming.acquire(timeout=CLAIM_WAIT):
            break  # its holder died: the taker does the rest
        taken = _claim(claims, index, number)
        claiming.release()
        if taken:
            continue
        try:
            found[index] = (True, fn(item, *args))
        except Exception as exc:  # raised in the process that asked
            found[index] = (False, exc)
    with contextlib.suppress(OSError):  # nobody is listening any more (cancelled)
        send.send(found)
    send.close()


def watch_parent(run: int) -> None:
    """End this process soon after the run's process `run` is gone: killed, say.

    Otherwise a pool's worker outlives a killed run: it waits forever on a
    queue that nobody will write to again (its fellow workers hold its other
    end), holding the models' memory. A thread looks every
    `PARENT_CHECK_SECONDS`. The run names itself, with the process id it had
    before forking: were this process to ask for its parent, a run killed
    meanwhile would already have left it to the system's first process, which
    never ends. A worker forked from a forkserver names the run too: its
    parent, the forkserver, lives as long as its workers do.
    """
    import threading

    def watch() -> None:
        while _running(run):
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _running(pid: int) -> bool:
    """Whether process `pid` is still running (a killed one not yet reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: whether the process exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


# How often a worker checks that the run it works for is still there.
PARENT_CHECK_SECONDS = 0.5
