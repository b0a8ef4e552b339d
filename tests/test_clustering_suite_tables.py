"""The README's table of the clustering suite and docs/clustering.md's of the candidates are those of their JSON."""

from benchmarks import clustering_suite as suite
from utils.files import read_json


def between_markers(path, name):
    text = open(path, encoding='utf-8').read()
    begin, end = f'<!-- clustering_suite.py: {name} -->', f'<!-- /clustering_suite.py: {name} -->'
    return text[text.index(begin) + len(begin):text.index(end)].strip()


def test_the_readme_and_docs_tables_are_those_of_the_suite_json():
    rows = read_json(suite.OUT)['rows']
    assert rows and {r['configuration'] for r in rows} == {suite.CHOSEN}
    assert between_markers(suite.README, 'suite') == suite.suite_table(rows)
    assert between_markers(suite.DOC, 'candidates') == suite.candidates_table(read_json(suite.CANDIDATES)['rows'])


def test_the_suite_json_holds_every_set_for_both_networks():
    rows = read_json(suite.OUT)['rows']
    assert sorted((r['dataset'], r['model_type']) for r in rows) == sorted((s, t) for s in suite.SETS for t in (2, 3))
    assert all(r['exit_status'] == 0 and r['gmvae']['accuracy_hungarian'] is not None for r in rows)


def test_the_generated_colour_sets_are_balanced_and_shapes_in_colours_keeps_its_colour():
    from benchmarks.generated_data import COLOURED_SHAPES, SHAPES, colour_shapes, shapes_in_colours

    x, y = colour_shapes(40, seed=1)
    assert x.shape == (40, 32, 32, 3) and x.dtype == 'uint8' and (suite.np.bincount(y) == 40 // len(SHAPES)).all()
    x, y = shapes_in_colours(90, size=24, seed=1)
    assert x.shape == (90, 24, 24, 3) and (suite.np.bincount(y) == 10).all() and len(COLOURED_SHAPES) == 9
    brightest = x.reshape(90, -1, 3).max(axis=1)          # the shape's own colour: the background stays below 70
    assert (brightest.argmax(axis=1) == y // 3).all()     # red, green, blue: its class's channel
