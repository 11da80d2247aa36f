"""BM25IndexConfig and BM25SearchConfig: defaults, validation, round trip through an index's config.json."""

from __future__ import annotations

import pytest

from lightning_ir.retrieve import BM25IndexConfig, BM25Indexer, BM25SearchConfig


def test_defaults_are_bm25s_defaults():
    config = BM25IndexConfig()
    assert (config.method, config.k1, config.b, config.delta) == ("lucene", 1.5, 0.75, 0.5)
    assert (config.stemmer, config.stopwords, config.lower) == (None, "en", True)
    assert BM25SearchConfig() == BM25SearchConfig(k=100, backend="numpy")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "bm42"}, "method must be one of the allowed values 'lucene', 'robertson'"),
        ({"k1": -0.1}, r"k1=-0.1 must be a number in \[0.0, inf\]"),
        ({"b": 1.5}, r"b=1.5 must be a number in \[0.0, 1.0\]"),
        ({"delta": "x"}, "delta='x' must be a number"),
        ({"stemmer": ""}, "stemmer='' must be a PyStemmer language name or None"),
        ({"stopwords": ["a", 1]}, "stopwords must be a language name, a list of words or None"),
        ({"lower": "yes"}, "lower='yes' must be true or false"),
    ],
)
def test_invalid_index_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BM25IndexConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"k": 0}, "k must be a positive integer"), ({"backend": "jax"}, "backend must be one of")]
)
def test_invalid_search_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BM25SearchConfig(**kwargs)


def test_round_trip_through_dict():
    config = BM25IndexConfig(method="bm25+", k1=1.2, stemmer="english", stopwords=["the", "a"], lower=False)
    assert config.stopwords == ("the", "a")
    assert BM25IndexConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match=r"unknown parameters \['k3'\]"):
        BM25IndexConfig.from_dict({"k3": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stemmer": "klingon"}, "stemmer 'klingon' is not a PyStemmer language; one of .*english"),
        ({"stopwords": "klingon"}, "stopwords='klingon': klingon not recognized"),
    ],
)
def test_unknown_languages_are_refused_before_any_work(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        BM25Indexer(tmp_path / "index", BM25IndexConfig(**kwargs))
    assert not (tmp_path / "index").exists()


def test_missing_bm25s_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "bm25s", None)
    with pytest.raises(ImportError, match=r"pip install 'lightning-ir\[bm25\]'"):
        BM25Indexer(tmp_path / "index")
