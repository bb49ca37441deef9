"""What every corpus builder (except ``custom``) adds to TFDS: its source files, a manual_dir check
before TFDS looks, its default model, and the preprocessing it applies.

A builder lists :class:`CorpusBuilderMixin` first among its bases and implements:

- ``source_files(manual_dir)`` -> sorted list of the files the current config reads (the
  builder's own finder: its error names the files it looks for and where). The list is what
  :func:`amigos_emo.datasets.provenance` fingerprints.
- ``preprocessing_spec()`` -> :class:`amigos_emo.preprocessing_spec.PreprocessingSpec` of the
  current config.

and sets ``DEFAULT_MODEL`` (the registered model trained by default) and TFDS's own
``DEFAULT_BUILDER_CONFIG_NAME`` (the config ``--dataset NAME`` means), plus ``SOURCE_FILES``
(a short description of the files, for messages).

Features every builder shares are declared here once: :func:`index_features` (the int32
``subject_id``, ``session_id``, ``trial_id``, ``window_index`` of every example) and the
normalisation axes of signal windows (:data:`SIGNAL_NORMALISATION_AXES`). A builder's
``NORMALISATION_AXES`` maps each feature a model may consume to the per-example axes pooled into
one mean/std by the trainer (the other axes keep their own statistics; ``()``: one per element;
``None``: not normalised). It extends the shared signal entries with its own features, e.g.
``{**SIGNAL_NORMALISATION_AXES, "stft": STFT_AXES}``; :meth:`CorpusBuilderMixin.normalisation_axes`
keeps those the current config writes, and ``preprocessing_spec()`` passes them on
(``normalisation_axes=self.normalisation_axes()``), so the run records them in
``preprocessing.json``. A model input the builder does not declare is an error naming both.

``download_and_prepare`` checks ``manual_dir`` first: no folder given, a folder that does not
exist, an empty one, or one without the corpus's files all fail with
:class:`amigos_emo.io.errors.CorpusFormatError` naming the folder, the files looked for and the
download instructions, instead of TFDS's bare ``AssertionError``.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import textwrap

import numpy as np

from amigos_emo.io.errors import CorpusFormatError

NO_MANUAL_DIR = "<no --manual-dir given>"

# --- normalisation axes (per example, no batch axis) shared by the builders ---------------------
SIGNAL_AXES = (0,)  # a signal window (n_times, n_chans): one mean/std per channel
STFT_AXES = (1,)  # (n_chans, n_frames, n_freqs): per channel and frequency
FEATURE_VECTOR_AXES = ()  # (n_features,): per feature
SIGNAL_NORMALISATION_AXES = {"eeg": SIGNAL_AXES, "ecg": SIGNAL_AXES, "gsr": SIGNAL_AXES}

# --- the index features of every example -------------------------------------------------------
INDEX_FEATURE_DOCS = {
    "subject_id": "the corpus's own subject number",
    "session_id": "1-based session, as in the corpus (see the builder's README)",
    "trial_id": "1-based trial within the session, as in the corpus",
    "window_index": "0-based window within the trial (0 for trial-level examples)",
}


def index_features():
    """The int32 scalars every example carries, in this order: ``subject_id``, ``session_id``,
    ``trial_id``, ``window_index`` (name -> ``tfds.features.Scalar``, for a ``FeaturesDict``)."""
    import tensorflow_datasets as tfds

    return {
        name: tfds.features.Scalar(np.int32, doc=doc) for name, doc in INDEX_FEATURE_DOCS.items()
    }


class CorpusBuilderMixin:
    """Shared behaviour of the corpus builders; list it before ``tfds.core.GeneratorBasedBuilder``."""

    DEFAULT_MODEL: str | None = None
    SOURCE_FILES: str = "the corpus files as downloaded"
    NORMALISATION_AXES: dict = SIGNAL_NORMALISATION_AXES

    def normalisation_axes(self):
        """``NORMALISATION_AXES`` of the features the current config writes (name -> axes)."""
        written = self.info.features.keys()
        return {name: axes for name, axes in self.NORMALISATION_AXES.items() if name in written}

    # --- hooks ---------------------------------------------------------------------------------
    def source_files(self, manual_dir):  # pragma: no cover - abstract
        """The files the current config reads below ``manual_dir`` (sorted paths).

        Raises:
            CorpusFormatError: none of them is there (the builder's own message).
        """
        raise NotImplementedError

    def preprocessing_spec(self):  # pragma: no cover - abstract
        """The :class:`~amigos_emo.preprocessing_spec.PreprocessingSpec` of the current config."""
        raise NotImplementedError

    @property
    def is_synthetic(self):
        """Whether the current config writes its own (SYNTHETIC) files instead of reading manual_dir."""
        return bool(getattr(self.builder_config, "synthetic", False))

    def generator_arguments(self):
        """For a synthetic config, the arguments that define the generated corpus; else ``None``."""
        if not self.is_synthetic:
            return None
        skip = {"name", "description", "version", "release_notes", "supported_versions", "tags"}
        return {
            field.name: getattr(self.builder_config, field.name)
            for field in dataclasses.fields(self.builder_config)
            if field.name not in skip
        }

    # --- the manual_dir check -------------------------------------------------------------------
    def _manual_dir_error(self, path, problem, found=None):
        return CorpusFormatError(
            path,
            problem,
            expected=f"a folder holding {self.SOURCE_FILES}",
            found=found,
            hint="How to get them:\n"
            + textwrap.dedent(self.MANUAL_DOWNLOAD_INSTRUCTIONS or "").strip(),
        )

    def check_manual_dir(self, manual_dir):
        """Check ``manual_dir`` before TFDS does and return the files the config would read.

        Args:
            manual_dir: the folder given as ``--manual-dir`` / ``DownloadConfig(manual_dir=...)``,
                or ``None``.

        Returns:
            sorted list of ``pathlib.Path`` (empty for a synthetic config, which needs no folder).

        Raises:
            CorpusFormatError: no folder given, missing, not a folder, empty, or no corpus file
                in it; the message names the folder, the files looked for, and how to get them.
        """
        if self.is_synthetic:
            return []
        corpus = (
            self.name if self.builder_config is None else f"{self.name}/{self.builder_config.name}"
        )
        if manual_dir is None or os.fspath(manual_dir) == "":
            raise self._manual_dir_error(
                NO_MANUAL_DIR,
                f"dataset {corpus} is read from the files you downloaded, but no manual_dir was given; "
                "pass --manual-dir FOLDER (or DownloadConfig(manual_dir=FOLDER))",
            )
        path = pathlib.Path(os.fspath(manual_dir)).expanduser()
        if not path.exists():
            raise self._manual_dir_error(path, f"the manual_dir for {corpus} does not exist")
        if not path.is_dir():
            raise self._manual_dir_error(
                path, f"the manual_dir for {corpus} is not a folder", found="a file"
            )
        if not any(path.iterdir()):
            raise self._manual_dir_error(
                path, f"the manual_dir for {corpus} is empty", found="no files"
            )
        files = [pathlib.Path(p) for p in self.source_files(path)]
        if not files:
            raise self._manual_dir_error(
                path, f"no {corpus} file found (searched recursively)", found="none"
            )
        return sorted(files)

    def download_and_prepare(self, *, download_dir=None, download_config=None, **kwargs):
        """TFDS's ``download_and_prepare``, after :meth:`check_manual_dir` when not yet prepared."""
        if not self.is_prepared():
            manual_dir = getattr(download_config, "manual_dir", None) if download_config else None
            self.check_manual_dir(manual_dir)
        return super().download_and_prepare(
            download_dir=download_dir, download_config=download_config, **kwargs
        )
