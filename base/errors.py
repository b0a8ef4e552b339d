"""The exceptions by which a run stops, and the one line of an error shown to the user."""


class RunError(Exception):
    """A run cannot go on; the message is one sentence for the user."""


class NonFiniteLoss(RunError):
    """A loss term became NaN or Inf during training."""


class Diverged(RunError):
    """An epoch's training loss ended above its yardstick on every order of the images tried: the first epoch's
    loss, or for the first epoch the untrained model's validation loss and a margin (Training._train_guarded)."""


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped training after the checkpoint of epoch `epoch` (`finished`: no epoch left)."""

    def __init__(self, signal_name, epoch, finished):
        super().__init__(f'{signal_name} after epoch {epoch}')
        self.signal_name, self.epoch, self.finished = signal_name, epoch, finished




def first_line(err):
    """The first line of an exception's message (TensorFlow's run over many), or its type's name."""
    lines = str(err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__

