"""One TFDS builder per corpus, in the ``tfds new`` layout; this is where each corpus is parsed.

Importing ``amigos_emo.tfds_builders.<name>`` registers the builder ``<name>`` with TFDS;
:func:`amigos_emo.datasets.get_builder` does that for you.

Conventions every builder follows (the trainer relies on them):

- Folder ``tfds_builders/<name>/``: ``__init__.py`` (imports ``Builder``),
  ``<name>_dataset_builder.py`` (class ``Builder``), ``<name>_dataset_builder_test.py``,
  ``dummy_data/`` (synthetic files in the corpus's real on-disk format), ``README.md`` (label
  codes, protocols), ``CITATIONS.bib``, ``TAGS.txt``, ``checksums.tsv``.
- ``Builder.pkg_dir_path = epath.Path(__file__).parent``: TFDS infers this path from the module
  name, which the package-dir mapping (``tfds_builders/`` installs as
  ``amigos_emo.tfds_builders``) breaks in editable installs. Tests set ``EXAMPLE_DIR`` likewise.
- Licensed corpora are read from ``manual_dir`` (searched recursively) and document the
  download in ``MANUAL_DOWNLOAD_INSTRUCTIONS``; nothing is fetched from the network.
- One split per subject, named ``subject_XX`` (two digits, the corpus's own subject number), so
  leave-one-subject-out is a split string such as ``"subject_01+subject_02"``.
- Every example carries ``subject_id``, ``session_id``, ``trial_id`` (1-based, as in the corpus)
  and ``window_index`` (0-based within the trial; 0 for trial-level examples), all int32,
  declared once by :func:`amigos_emo.tfds_builders.corpus.index_features`.
- Signals are float32 and **time-major**: ``eeg`` ``(n_times, n_chans)``; other representations
  are named ``de`` ``(n_steps, n_chans * 5)``, ``stft`` ``(n_chans, n_frames, n_freqs)``,
  ``eeg_grid``, ``node_features`` and ``adjacency`` (VAE-GNN).
- Categorical targets are a ``ClassLabel`` named ``label``; ratings keep their corpus scale as
  float32 ``valence``/``arousal``/``dominance``/``liking``. Label mappings live in
  ``amigos_emo.constants.<corpus>``.
- ``Builder`` lists :class:`amigos_emo.tfds_builders.corpus.CorpusBuilderMixin` first among its
  bases and declares ``DEFAULT_BUILDER_CONFIG_NAME`` (what ``--dataset NAME`` means),
  ``DEFAULT_MODEL``, ``NORMALISATION_AXES`` (per feature a model may consume: the per-example
  axes the trainer pools into one mean/std), ``source_files(manual_dir)`` (what provenance
  fingerprints) and ``preprocessing_spec()`` (which carries the axes into ``preprocessing.json``);
  the mixin checks ``manual_dir`` before TFDS does.
- Builder tests prepare the dummy data with :func:`amigos_emo.tfds_builders.testing.build`.
- Every modality passes :func:`amigos_emo.io.integrity.finite_float32` after the float32 cast;
  ratings pass ``check_scale`` and label codes ``check_codes``.
- Bad files raise :class:`amigos_emo.io.CorpusFormatError` naming file, field, expected and
  found. Trials the corpus is known to leave empty or NaN are skipped, counted, and reported
  with a warning; nothing is ever given a made-up label.
- Examples are generated trial by trial: no builder holds more than one subject in memory.
"""
