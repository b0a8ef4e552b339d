"""A quiet console: only the project's own lines, unless --verbose=1 or TF_CPP_MIN_LOG_LEVEL=0.

TensorFlow prints its start-up lines (oneDNN, CUDA drivers, CPU instructions, absl) from C++ while it
is imported, before its log level is read, and its device set-up prints an error line on machines
without a GPU; so TF_CPP_MIN_LOG_LEVEL=3, the usual way to quiet TensorFlow, does not hide them.
`quiet_console` runs before TensorFlow is imported: it sets TF_CPP_MIN_LOG_LEVEL=3 whatever the user
set (C++ errors that matter reach Python as exceptions), imports TensorFlow with the process's stderr
held in a temporary file (shown again if the import fails), and sets TensorFlow's and absl's Python
loggers to errors only. It steps aside for --verbose=1 and for TF_CPP_MIN_LOG_LEVEL=0, the user asking
for every line.
"""
import os
import sys
import tempfile


def verbose_requested(argv):
    """Whether argv asks for --verbose=1 (also '--verbose 1'); any other value, or none, is quiet."""
    for i, arg in enumerate(argv):
        if arg.startswith('--verbose='):
            value = arg.split('=', 1)[1]
        elif arg == '--verbose' and i + 1 < len(argv):
            value = argv[i + 1]
        else:
            continue
        return value.strip().lower() in ('1', 'true', 'yes')
    return False


def quiet_console(argv=None):
    """Silence TensorFlow's own console lines unless argv has --verbose=1 or the user set TF_CPP_MIN_LOG_LEVEL=0.

    Returns True when it silenced them. Call it before anything imports TensorFlow.
    """
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    if verbose_requested(argv) or os.environ.get('TF_CPP_MIN_LOG_LEVEL', '').strip() == '0':
        return False
    os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
    if 'tensorflow' not in sys.modules:
        _import_tensorflow_silently()
    import logging

    import absl.logging
    absl.logging.set_verbosity(absl.logging.ERROR)
    logging.getLogger('tensorflow').setLevel(logging.ERROR)
    return True


def _import_tensorflow_silently():
    """Import TensorFlow with file descriptor 2 (the C++ side's stderr) sent to a temporary file."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode='w+b') as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors='replace'))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
