"""Graceful stop of training on SIGINT (Ctrl-C) or SIGTERM.

The first signal only records a request, which the training loop checks after each epoch's
checkpoint: nothing is raised from inside TensorFlow. A second signal stops at once by raising
`ForcedStop` (a KeyboardInterrupt), losing the epoch in progress but not the saved ones.
"""
import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ForcedStop(KeyboardInterrupt):
    """A second signal arrived before the epoch in progress ended."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopRequest:
    """Context manager: while active, SIGINT and SIGTERM set `signum` instead of stopping the program.

    Outside the main thread (where Python cannot install handlers) it does nothing.
    """

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous = {}
        return False

    @property
    def name(self):
        return signal.Signals(self.signum).name if self.signum else None

    def _handle(self, signum, frame):
        if self.signum is not None:
            raise ForcedStop(signum)
        self.signum = signum
        # os.write, not print: the interrupted code may be writing to sys.stderr (the progress bar).
        os.write(2, f'\n{signal.Signals(signum).name}: stopping after this epoch is saved '
                    '(signal again to stop at once, losing it).\n'.encode())
