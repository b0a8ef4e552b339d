"""Early stopping on the validation loss, with patience."""
import math

MIN_GAIN = 0.1   # nats: a smaller fall of the validation loss is not an improvement (the original's rule)


class EarlyStopping:
    """Tracks the best validation loss; `should_stop` once `patience` epochs pass without improvement.

    An improvement is a fall of more than `min_delta` below the best so far. The defaults are the
    original's: patience 15 epochs, minimum gain 0.1 nats.

    The caller keeps the best weights: `update` returns True when the value just seen is the
    new best, which is when to copy them.
    """

    def __init__(self, patience=15, min_delta=MIN_GAIN):
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
