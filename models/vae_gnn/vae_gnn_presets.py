"""Named VAE-GNN configurations (plain dicts of build arguments).

``dreamer``: the DREAMER ``graph`` builder config: ``eeg_grid`` (1280, 9, 9) = the last 10 s at
128 Hz on the 9x9 grid, ``node_features`` (5, 14, 10) = DE of ten 1 s sub-windows per band
and electrode, ``adjacency`` (5, 14, 14). Loss weights: focal 1.0, triplet-center 0.1,
VAE 1.0 (KL weight 1e-3); Adam 1e-3 with gradient clipping at norm 1.0 (see ``compile_vae_gnn``).
``tiny`` is for tests.
"""

_DEFAULTS = {
    "vae_filters": [16, 32, 64],
    "time_strides": [4, 4, 4],
    "spatial_stride": 3,
    "latent_dim": 128,
    "gcn_units": 32,
    "n_gcn_layers": 2,
    "gru_units": 128,
    "dropout": 0.3,
    "beta_focal": 1.0,
    "beta_triplet": 0.1,
    "beta_vae": 1.0,
    "kl_weight": 1e-3,
    "focal_alpha": 0.25,
    "focal_gamma": 2.0,
    "triplet_margin": 1.0,
}

VAE_GNN_PRESETS = {
    "dreamer": {
        **_DEFAULTS,
        "n_times": 1280,
        "n_rows": 9,
        "n_cols": 9,
        "n_bands": 5,
        "n_nodes": 14,
        "n_node_feats": 10,
    },
    "tiny": {
        **_DEFAULTS,
        "n_times": 64,
        "n_rows": 9,
        "n_cols": 9,
        "n_bands": 5,
        "n_nodes": 4,
        "n_node_feats": 3,
        "vae_filters": [2, 3, 4],
        "latent_dim": 8,
        "gcn_units": 4,
        "n_gcn_layers": 1,
        "gru_units": 8,
    },
}

DEFAULT_PRESET = "dreamer"
