"""Preparing a corpus with Apache Beam (DirectRunner) gives the same examples as a normal build.

In TFDS 4.9 a ``GeneratorBasedBuilder`` only runs on Beam when ``_split_generators`` returns
Beam objects (``beam.PTransform``/``PCollection``) instead of Python generators; a
``DownloadConfig(beam_runner=...)`` alone is silently ignored by this package's builders (they
return generators). :class:`BeamSplitsMixin` below is the opt-in: when ``beam_runner`` or
``beam_options`` is set, every split's generator becomes ``beam.Create([its arguments]) |
beam.FlatMap(<the same generator method>)``, so each subject is one Beam element, parsed by a
worker; without them the builder is untouched. See docs/DISTRIBUTED.md.

Needs ``apache-beam`` (``pip install apache-beam``); skipped with a reason otherwise.
"""

import os

import numpy as np
import pytest
import tensorflow_datasets as tfds

from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import Builder as AmigosBuilder
from amigos_emo.tfds_builders.beam import BeamSplitsMixin

pytestmark = pytest.mark.slow


def _tiny_config():
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig

    return AmigosConfig(
        name="beam_check", synthetic=True, n_participants=2, seed=7, video_s=12.0, long_video_s=9.0
    )


def _beam_builder_class():
    assert issubclass(AmigosBuilder, BeamSplitsMixin)  # the AMIGOS builder opts in
    return AmigosBuilder


def _examples(builder, split):
    rows = tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False))
    return sorted(rows, key=lambda e: (e["trial_id"], e["window_index"]))


def test_beam_direct_runner_build_equals_normal_build(tmp_path):
    beam = pytest.importorskip(
        "apache_beam",
        reason="apache-beam is not installed (pip install apache-beam; the 'beam' extra)",
    )
    normal = AmigosBuilder(config=_tiny_config(), data_dir=os.fspath(tmp_path / "normal"))
    normal.download_and_prepare()
    beam_builder = _beam_builder_class()(
        config=_tiny_config(), data_dir=os.fspath(tmp_path / "beam")
    )
    options = beam.options.pipeline_options.PipelineOptions(["--direct_num_workers=1"])
    beam_builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(
            beam_runner=beam.runners.DirectRunner(), beam_options=options
        )
    )
    assert beam_builder._beam_requested  # the Beam path really ran
    counts = {name: split.num_examples for name, split in normal.info.splits.items()}
    assert counts == {name: split.num_examples for name, split in beam_builder.info.splits.items()}
    assert sorted(counts) == ["subject_01", "subject_02"] and all(n > 0 for n in counts.values())
    for split in counts:
        expected, found = _examples(normal, split), _examples(beam_builder, split)
        assert [(e["trial_id"], e["window_index"]) for e in expected] == [
            (e["trial_id"], e["window_index"]) for e in found
        ]
        for a, b in zip(expected, found, strict=True):
            for key in ("eeg", "ecg", "gsr", "valence", "arousal", "transition", "subject_id"):
                np.testing.assert_array_equal(a[key], b[key])


def test_without_beam_runner_the_mixin_is_a_no_op(tmp_path):
    builder = _beam_builder_class()(config=_tiny_config(), data_dir=os.fspath(tmp_path))
    builder.download_and_prepare()
    assert builder._beam_requested is False
    assert builder.info.splits["subject_01"].num_examples > 0
