"""Every command recorded in benchmarks/results/*.json reruns from a clone as written: no absolute paths."""
import glob
import json
import os
import shlex

from benchmarks.commands import ROOT, recorded

RESULTS = os.path.join(ROOT, 'benchmarks', 'results')


def commands(value, key=''):
    """Every string held under a key that names a command (`command`, `rescore_command`, `commands`)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from commands(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from commands(v, key)
    elif isinstance(value, str) and 'command' in key:
        yield value


def absolute_paths(command):
    """The absolute paths of a command line: arguments, or values of --flag=value."""
    return [a for a in (arg.split('=', 1)[-1] for arg in shlex.split(command)) if os.path.isabs(a)]


def test_no_recorded_command_holds_an_absolute_path():
    found = {}
    for path in sorted(glob.glob(os.path.join(RESULTS, '*.json'))):
        with open(path) as f:
            for command in commands(json.load(f)):
                assert command.startswith('python '), (path, command)
                if absolute_paths(command):
                    found.setdefault(os.path.basename(path), []).extend(absolute_paths(command))
    assert not found, found


def test_recorded_writes_paths_relative_to_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # a relative path is the working directory's, whatever that is
    data = os.path.join(os.path.dirname(ROOT), 'shared', 'data')
    (tmp_path / 'r.json').write_text('{}')
    line = recorded('GMVAE_main.py', [f'--data_dir={data}', '--out=out', '--results=1', '--extra=bench', 'r.json'])
    out = os.path.relpath(tmp_path / 'out', ROOT)
    assert line == (f'python GMVAE_main.py --data_dir=../shared/data --out={out} --results=1 --extra=bench '
                    f'{os.path.relpath(tmp_path / "r.json", ROOT)}')
    assert not absolute_paths(line)
