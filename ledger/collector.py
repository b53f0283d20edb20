"""Python's cyclic garbage collector paused while a bulk unit of work (a page, a chunk) is applied."""

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; re-enable it after (unless it was off already).

    A page of messages or a chunk of payments makes some hundred thousand objects that live until the work is
    done (messages, line states, specs, rows); the collector would walk them all again and again as they pile
    up (measured: a tenth of a poll's time at 10 000 lines). They hold no cycles to speak of and are freed by
    reference counting when the work is done; whatever cycles there are wait for the next collection after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
