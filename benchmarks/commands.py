"""The command lines that the benchmarks record in benchmarks/results/*.json, rerunnable from a clone.

A recorded command runs from the repository root, so every path in it is written relative to that root
(os.path.relpath): `/work/shared/data` on the machine that ran it becomes `../shared/data`, which is
where a clone finds the data too.
"""
import os
import shlex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Flags whose value is a path, in the benchmarks and in the mains (not --results: the mains' 0/1 flag).
PATH_FLAGS = {'data_dir', 'checkpoint_dir', 'log_dir', 'result_dir', 'out', 'work', 'figures', 'logdir'}


def repo_path(path):
    """`path` (absolute, or relative to the working directory) relative to the repository root."""
    return os.path.relpath(os.path.abspath(path), ROOT)


def _argument(arg):
    if arg.startswith('--') and '=' in arg:
        name, value = arg[2:].split('=', 1)
        if name in PATH_FLAGS or os.path.isabs(value):
            return f'--{name}={repo_path(value)}'
        return arg
    if not arg.startswith('-') and (os.path.isabs(arg) or os.path.exists(arg)):
        return repo_path(arg)   # a positional path, e.g. a results JSON
    return arg


def recorded(program, argv):
    """The command line `python program argv...` as a clone reruns it from the repository root."""
    return ' '.join(['python', program] + [shlex.quote(_argument(a)) for a in argv])
