"""Early stopping on the validation loss, with patience."""
import math


class EarlyStopping:
    """Tracks the best validation loss; `should_stop` once `patience` epochs pass without improvement.

    The caller keeps the best weights: `update` returns True when the value just seen is the
    new best, which is when to copy them.
    """

    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.epochs_without_improvement = 0

    def update(self, value):
        """Record one epoch's validation loss; True if it is the best so far."""
        if value < self.best - self.min_delta:
            self.best = value
            self.epochs_without_improvement = 0
            return True
        self.epochs_without_improvement += 1
        return False

    @property
    def should_stop(self):
        return self.epochs_without_improvement >= self.patience

    def replay(self, values):
        """Reset, then `update` with each past validation loss: the state after those epochs."""
        self.best = math.inf
        self.epochs_without_improvement = 0
        for value in values:
            self.update(value)
