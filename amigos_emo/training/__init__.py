"""Training as researchers need it: explicit protocols, train-only normalisation, baselines.

- ``protocols``: which subjects (or windows) train, validate and test in each fold.
- ``tasks``: how a dataset's examples become a model's inputs and targets.
- ``pipeline``: ``tf.data`` input pipelines and normalisation fitted on training subjects.
- ``evaluation``: metrics beside trivial baselines (scikit-learn), mean +/- std over folds.
- ``reports``: JSON, training curves, confusion matrices, the printed summary table.
- ``runner``: one run end to end (what ``python -m amigos_emo.train`` calls).
"""
