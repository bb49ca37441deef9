"""Opt-in Apache Beam preparation for generator-based builders (see docs/DISTRIBUTED.md).

In TFDS 4.9 a ``GeneratorBasedBuilder`` runs on Beam only when ``_split_generators`` returns
Beam transforms; a ``DownloadConfig(beam_runner=...)`` alone is silently ignored by builders that
return Python generators. A builder that lists :class:`BeamSplitsMixin` first among its bases
turns each split's generator into ``beam.Create([its arguments]) | beam.FlatMap(<the same
generator method>)`` when ``beam_runner`` or ``beam_options`` is set, so every subject is one Beam
element parsed by a worker; without them the builder is untouched.
"""

from __future__ import annotations

import inspect

import tensorflow_datasets as tfds


class BeamSplitsMixin:
    """Run a generator-based builder's splits on Beam when the DownloadConfig asks for it.

    Works for builders whose ``_split_generators`` returns ``{split: self.<method>(args...)}``
    with picklable arguments (file paths, ints): the un-started generator's arguments are read
    with :func:`inspect.getgeneratorlocals` and shipped to the workers, where the builder
    (picklable: TFDS rebuilds it from its constructor arguments) runs the same method.
    """

    def _generate_splits(self, dl_manager, download_config):
        self._beam_requested = (
            download_config.beam_runner is not None or download_config.beam_options is not None
        )
        return super()._generate_splits(dl_manager, download_config)

    def _split_generators(self, dl_manager):
        splits = super()._split_generators(dl_manager)
        if not getattr(self, "_beam_requested", False):
            return splits
        beam = tfds.core.lazy_imports.apache_beam
        transforms = {}
        for split, generator in splits.items():
            method = generator.gi_code.co_name
            arguments = inspect.getgeneratorlocals(generator)
            names = [
                n for n in inspect.signature(getattr(type(self), method)).parameters if n != "self"
            ]
            values = tuple(arguments[n] for n in names)
            generator.close()
            transforms[split] = f"Arguments_{split}" >> beam.Create(
                [values]
            ) | f"Examples_{split}" >> beam.FlatMap(_run_generator, builder=self, method=method)
        return transforms


def _run_generator(values, builder, method):
    yield from getattr(builder, method)(*values)
