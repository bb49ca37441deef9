"""The tiny synthetic AMIGOS corpus of the tuning tests (importable by subprocess drivers)."""

import os


def tiny_builder(data_dir):
    """5 synthetic participants with 12 s / 9 s videos cut into 2 s windows (built once per dir)."""
    import tensorflow_datasets as tfds

    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

    config = AmigosConfig(
        name="synthetic_tune_test",
        synthetic=True,
        n_participants=5,
        seed=7,
        window_s=2.0,
        step_s=2.0,
        video_s=12.0,
        long_video_s=9.0,
    )
    builder = Builder(config=config, data_dir=os.fspath(data_dir))
    if not builder.is_prepared():
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig())
    return builder
