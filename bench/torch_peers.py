"""PyTorch peers of the seed architectures, for the training-throughput bench.

Each peer is written from the same description as the Keras model of its family (the module
docstring of ``models/<family>/<family>_backbone.py``) and takes its widths from the Keras
model's ``get_config()``, so it follows the registry's presets and any change of width. The
peers aim to be what a PyTorch user would write for speed on CPU: PyTorch's fused recurrent
layers (``nn.LSTM``, ``nn.GRU``), ``nn.MultiheadAttention``, grouped and 3-D convolutions of
``torch.nn``, batched matmuls for the per-band graph convolutions, and one training step =
forward, loss, backward, gradient clipping where Keras clips, optimiser update.

Parameter counts are compared on TRAINABLE parameters (Keras also counts batch-norm moving
statistics, which PyTorch keeps as buffers). Where Keras has one bias per recurrent layer and
PyTorch two (``nn.LSTM``'s ``bias_hh``), the second is zeroed and frozen, so both compute the
same function with the same trainable count.

Peers (model name in the registry -> builder):

- ``multimodal_lstm``: per-signal pooling (EEG: strided depthwise FIR + ReLU), two stacked
  LSTMs, ReLU dense layers, concatenation, batch norm, fusion layers, valence / arousal /
  transition heads; MSE + MSE + BCE + the L2 kernel penalty; Adam, per-variable clipnorm 1.
- ``gru_xnet``: per-EEG-channel CNN as one grouped ``Conv2d`` (3 blocks conv -> BN -> ReLU ->
  2x2 max-pool), frequency mean, per-frame fusion, 2-layer BiGRU, self-attention with residual
  and layer norm, time mean (``standard``) or per-frame head (``dynamic``), softmax head; CE,
  Adam.
- ``res_attention_net``: 1-D ResNet-18 (stem conv 7/2, max-pool 3/2, 4 x 2 basic blocks) ->
  dropout -> one-query multi-head attention pooling -> Dense + ReLU -> dropout -> Dense; CE with
  label smoothing, AdamW.
- ``vae_gnn``: 3 strided ``Conv3d`` encoder, mean / log-variance, reparameterisation, dense +
  3 ``ConvTranspose3d`` decoder; per-band 2-layer graph convolutions (batched over bands), GRU
  over bands, fusion with ``z``, two sigmoid heads; focal + triplet-center (learnable centres) +
  VAE loss; Adam, per-variable clipnorm 1.
- ``gru_classifier``: feature vector -> zero-pad -> chunks -> GRU (all steps) -> flatten ->
  dropout -> softmax; CE, Adam.

Import order: constructing a torch optimiser loads ``triton`` (via ``torch._dynamo``), whose
native module crashed the process (SIGSEGV) when TensorFlow was already loaded (torch 2.14,
TF 2.21). :func:`preload_torch` does that first; call it before importing TensorFlow. Building
a peer and counting its parameters is safe in any order (the optimiser is created on the first
:meth:`Peer.train_step`).

Usage::

    peer = build_peer("gru_classifier", keras_model, input_shapes)
    step = peer.train_step(inputs_numpy, targets_numpy)   # a closure; call it to train one step
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "PEERS",
    "build_peer",
    "keras_trainable_count",
    "preload_torch",
    "torch_trainable_count",
]


def preload_torch():
    """Import torch and load its optimiser machinery; ``None`` when torch is not installed.

    Call before TensorFlow is imported (see the module docstring). Returns the torch module.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.optim.Adam(torch.nn.Linear(1, 1).parameters())  # loads torch._dynamo / triton now
    return torch


def keras_trainable_count(model):
    """Number of trainable scalars of a Keras model, including layers of a ``_full_graph`` view.

    VAE-GNN builds its decoder only inside an untracked second functional view
    (``model._full_graph``), so ``model.trainable_weights`` does not list the decoder; the
    union of both is the architecture's real size.
    """
    variables = {id(w): w for w in model.trainable_weights}
    full_graph = getattr(model, "_full_graph", None)
    if full_graph is not None:
        variables.update({id(w): w for w in full_graph.trainable_weights})
    return int(sum(math.prod(w.shape) for w in variables.values()))


def torch_trainable_count(module):
    """Number of trainable scalars of a torch module (parameters with ``requires_grad``)."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


def _freeze_hidden_biases(rnn):
    """Zero and freeze ``bias_hh_*`` of an ``nn.LSTM``: Keras's LSTM has one bias per gate."""
    import torch

    with torch.no_grad():
        for name, parameter in rnn.named_parameters():
            if name.startswith("bias_hh"):
                parameter.zero_()
                parameter.requires_grad_(False)


def _clip_per_variable(parameters, max_norm):
    """Keras ``clipnorm``: each gradient rescaled to norm <= ``max_norm`` on its own."""
    import torch

    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norms = torch._foreach_norm(grads)
    scales = [torch.clamp(max_norm / (n + 1e-6), max=1.0) for n in norms]
    torch._foreach_mul_(grads, scales)


class Peer:
    """A torch module with its loss, optimiser and input / target conversion.

    Attributes:
        module: the ``torch.nn.Module``.
        loss: ``loss(module, inputs, targets) -> scalar tensor`` (forward included).
        make_optimizer: ``make_optimizer(parameters)`` -> the torch optimiser (created on the
            first :meth:`train_step`).
        clipnorm: per-variable gradient clipping norm, or ``None``.
        input_names: the Keras input names, in the order ``module.forward`` takes them.
    """

    def __init__(self, module, loss, make_optimizer, input_names, clipnorm=None):
        self.module = module
        self.loss = loss
        self.make_optimizer = make_optimizer
        self.optimizer = None
        self.clipnorm = clipnorm
        self.input_names = tuple(input_names)
        self.trainable = [p for p in module.parameters() if p.requires_grad]

    def n_trainable(self):
        return torch_trainable_count(self.module)

    def train_step(self, inputs, targets, dtype=None):
        """A closure running one full training step on fixed numpy ``inputs`` / ``targets``.

        Args:
            inputs: dict of float32 numpy arrays keyed by the Keras input names.
            targets: dict of float32 numpy arrays keyed by the Keras output names.
            dtype: ``None`` (float32) or ``"bfloat16"``: the forward and backward run under
                ``torch.autocast("cpu", torch.bfloat16)`` (PyTorch's CPU mixed precision).

        Returns:
            a function of no argument returning the float loss of the step.
        """
        import torch

        x = [torch.from_numpy(np.ascontiguousarray(inputs[name])) for name in self.input_names]
        y = {name: torch.from_numpy(np.ascontiguousarray(v)) for name, v in targets.items()}
        self.module.train()
        if self.optimizer is None:
            self.optimizer = self.make_optimizer(self.trainable)
        autocast = dtype == "bfloat16"

        def step():
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = self.loss(self.module, x, y)
            loss.backward()
            if self.clipnorm is not None:
                _clip_per_variable(self.trainable, self.clipnorm)
            self.optimizer.step()
            return float(loss.detach())

        return step


# === Multimodal LSTM ===


def _multimodal_lstm(config, input_shapes):
    import torch
    from torch import nn

    signals = ("eeg", "ecg", "gsr")
    pool_size, taps, dropout = config["pool_size"], config["eeg_filter_taps"], config["dropout"]
    l2 = config["l2"]

    class Branch(nn.Module):
        def __init__(self, signal):
            super().__init__()
            n_chans = input_shapes[signal][1]
            self.filter_bank = None
            self.pool = None
            if signal == "eeg" and taps > 0:
                self.filter_bank = nn.Conv1d(
                    n_chans, n_chans, taps, stride=pool_size, groups=n_chans
                )
            elif pool_size > 1:
                self.pool = nn.AvgPool1d(pool_size)
            sizes = [n_chans, *config[f"{signal}_lstm_units"]]
            self.lstms = nn.ModuleList(
                nn.LSTM(a, b, batch_first=True) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )
            for lstm in self.lstms:
                _freeze_hidden_biases(lstm)
            layers, width = [], sizes[-1]
            for units in config[f"{signal}_dense_units"]:
                layers += [nn.Linear(width, units), nn.ReLU()]
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
                width = units
            self.dense = nn.Sequential(*layers)
            self.width = width

        def forward(self, x):  # (batch, n_times, n_chans)
            if self.filter_bank is not None or self.pool is not None:
                x = x.transpose(1, 2)
                if self.filter_bank is not None:
                    n_times = x.shape[-1]  # "same" padding as Keras: ceil(n / stride) outputs
                    n_out = -(-n_times // pool_size)
                    total = max((n_out - 1) * pool_size + taps - n_times, 0)
                    x = nn.functional.pad(x, (total // 2, total - total // 2))
                    x = torch.relu(self.filter_bank(x))
                else:
                    x = self.pool(x)
                x = x.transpose(1, 2)
            for lstm in self.lstms:
                x, _ = lstm(x)
            return self.dense(x[:, -1])

    class MultimodalLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleList(Branch(s) for s in signals)
            width = sum(branch.width for branch in self.branches)
            layers = [nn.BatchNorm1d(width)] if config["use_batch_norm"] else []
            for units in config["fusion_units"]:
                layers += [nn.Linear(width, units), nn.ReLU()]
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
                width = units
            self.fusion = nn.Sequential(*layers)
            self.heads = nn.Linear(width, 3)  # valence, arousal, transition logit

        def forward(self, eeg, ecg, gsr):
            parts = [b(x) for b, x in zip(self.branches, (eeg, ecg, gsr), strict=True)]
            return self.heads(self.fusion(torch.cat(parts, dim=-1)))

    module = MultimodalLSTM()
    # The L2 penalty of Keras's kernel_regularizer: LSTM input kernels and dense kernels.
    penalised = [
        p
        for n, p in module.named_parameters()
        if "weight_ih" in n
        or ((".dense." in n or n.startswith("fusion.")) and n.endswith(".weight") and p.ndim == 2)
    ]

    def loss(model, x, y):
        out = model(*x).float()
        total = nn.functional.mse_loss(out[:, 0], y["valence"][:, 0])
        total = total + nn.functional.mse_loss(out[:, 1], y["arousal"][:, 0])
        total = total + nn.functional.binary_cross_entropy_with_logits(
            out[:, 2], y["transition"][:, 0]
        )
        if l2 > 0:
            total = total + l2 * sum(p.square().sum() for p in penalised)
        return total

    return Peer(module, loss, lambda p: torch.optim.Adam(p, lr=1e-3), signals, clipnorm=1.0)


# === GRU-XNet ===


def _gru_xnet(config, input_shapes):
    import torch
    from torch import nn

    n_chans, filters = config["n_chans"], list(config["cnn_filters"])
    gru_units, dropout = config["gru_units"], config["dropout"]
    flatten_freqs = config.get("freq_pooling", "mean") == "flatten"
    n_freqs_out = config["n_freqs"]
    for _ in filters:
        n_freqs_out = math.ceil(n_freqs_out / 2)

    class GRUXNet(nn.Module):
        def __init__(self):
            super().__init__()
            blocks, width = [], n_chans
            for f in filters:
                blocks += [
                    nn.Conv2d(width, n_chans * f, 3, padding=1, groups=n_chans, bias=False),
                    nn.BatchNorm2d(n_chans * f),
                    nn.ReLU(),
                    nn.MaxPool2d(2, ceil_mode=True),
                ]
                width = n_chans * f
            self.cnn = nn.Sequential(*blocks)
            fused_in = width * (n_freqs_out if flatten_freqs else 1)
            self.fusion = nn.Linear(fused_in, config["fusion_units"])
            self.gru = nn.GRU(
                config["fusion_units"],
                gru_units,
                num_layers=config["n_gru_layers"],
                bidirectional=True,
                batch_first=True,
            )
            self.attention = nn.MultiheadAttention(
                2 * gru_units, config["n_heads"], batch_first=True
            )
            self.norm = nn.LayerNorm(2 * gru_units)
            layers, width = [], 2 * gru_units
            for units in config["head_units"]:
                layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
                width = units
            layers.append(nn.Linear(width, config["n_outputs"]))
            self.head = nn.Sequential(*layers)
            self.dynamic = config.get("variant", "standard") == "dynamic"

        def forward(self, stft):  # (batch, n_chans, n_frames, n_freqs): channels first already
            x = self.cnn(stft)  # (batch, n_chans * F, frames, freqs)
            if flatten_freqs:
                x = x.permute(0, 2, 1, 3).flatten(2)
            else:
                x = x.mean(dim=-1).transpose(1, 2)  # (batch, frames, n_chans * F)
            x, _ = self.gru(torch.relu(self.fusion(x)))
            x = self.norm(x + self.attention(x, x, x, need_weights=False)[0])
            if self.dynamic:
                return torch.softmax(self.head(x).float(), -1).mean(dim=1).log()
            return torch.log_softmax(self.head(x.mean(dim=1)).float(), -1)

    module = GRUXNet()

    def loss(model, x, y):
        return -(y["label"] * model(*x)).sum(-1).mean()

    return Peer(module, loss, lambda p: torch.optim.Adam(p, lr=1e-3), ("stft",))


# === ResAttentioNet ===


def _res_attention_net(config, input_shapes):
    import torch
    from torch import nn

    base, dropout, heads = config["base_width"], config["dropout"], config["n_heads"]
    n_features = config["n_chans"] * config["n_bands"]

    class BasicBlock(nn.Module):
        def __init__(self, in_filters, filters, stride):
            super().__init__()
            self.conv1 = nn.Conv1d(in_filters, filters, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm1d(filters)
            self.conv2 = nn.Conv1d(filters, filters, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm1d(filters)
            self.shortcut = None
            if stride != 1 or in_filters != filters:
                self.shortcut = nn.Sequential(
                    nn.Conv1d(in_filters, filters, 1, stride, bias=False), nn.BatchNorm1d(filters)
                )

        def forward(self, x):
            y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))

    class ResAttentioNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv1d(n_features, base, 7, 2, 3, bias=False),
                nn.BatchNorm1d(base),
                nn.ReLU(),
                nn.MaxPool1d(3, 2, 1),
            )
            blocks, width = [], base
            for stage, multiplier in enumerate((1, 2, 4, 8), start=1):
                for block in (1, 2):
                    stride = 2 if (stage > 1 and block == 1) else 1
                    blocks.append(BasicBlock(width, base * multiplier, stride))
                    width = base * multiplier
            self.blocks = nn.Sequential(*blocks)
            self.feature_dropout = nn.Dropout(dropout)
            self.query = nn.Parameter(torch.randn(1, 1, width))
            self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
            self.classifier = nn.Sequential(
                nn.Linear(width, config["hidden_units"]),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(config["hidden_units"], config["n_outputs"]),
            )

        def forward(self, de):  # (batch, n_steps, n_features)
            x = self.feature_dropout(self.blocks(self.stem(de.transpose(1, 2)))).transpose(1, 2)
            query = self.query.expand(x.shape[0], -1, -1)
            pooled = self.attention(query, x, x, need_weights=False)[0][:, 0]
            return self.classifier(pooled)

    module = ResAttentioNet()
    smoothing = nn.CrossEntropyLoss(label_smoothing=0.1)

    def loss(model, x, y):
        return smoothing(model(*x).float(), y["label"])

    def make_optimizer(parameters):
        return torch.optim.AdamW(parameters, lr=5e-5, weight_decay=1e-4)

    return Peer(module, loss, make_optimizer, ("de",))


# === VAE-GNN ===


def _vae_gnn(config, input_shapes):
    import torch
    from torch import nn

    f1, f2, f3 = config["vae_filters"]
    t1, t2, t3 = config["time_strides"]
    s = config["spatial_stride"]
    n_times, n_rows, n_cols = config["n_times"], config["n_rows"], config["n_cols"]
    n_bands, n_nodes, n_feats = config["n_bands"], config["n_nodes"], config["n_node_feats"]
    latent, units, gru_units = config["latent_dim"], config["gcn_units"], config["gru_units"]
    code = (f3, n_times // (t1 * t2 * t3), n_rows // s, n_cols // s)

    def same(kernel, stride):  # symmetric "same" padding where Keras's is symmetric
        return tuple(max(k - st, 0) // 2 for k, st in zip(kernel, stride, strict=True))

    k1, k2, k3 = (8, 3, 3), (8, 3, 3), (4, 3, 3)
    st1, st2, st3 = (t1, 1, 1), (t2, 1, 1), (t3, s, s)

    class VAEGNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv3d(1, f1, k1, st1, same(k1, st1)),
                nn.ReLU(),
                nn.Conv3d(f1, f2, k2, st2, same(k2, st2)),
                nn.ReLU(),
                nn.Conv3d(f2, f3, k3, st3, same(k3, st3)),
                nn.ReLU(),
            )
            flat = math.prod(code)
            self.z_mean = nn.Linear(flat, latent)
            self.z_log_var = nn.Linear(flat, latent)
            self.decoder_dense = nn.Linear(latent, flat)
            self.decoder = nn.Sequential(
                nn.ConvTranspose3d(f3, f2, k3, st3, same(k3, st3)),
                nn.ReLU(),
                nn.ConvTranspose3d(f2, f1, k2, st2, same(k2, st2)),
                nn.ReLU(),
                nn.ConvTranspose3d(f1, 1, k1, st1, same(k1, st1)),
            )
            # Per-band graph convolutions, batched over the band axis.
            self.gcn_kernels = nn.ParameterList()
            self.gcn_biases = nn.ParameterList()
            width = n_feats
            for _ in range(config["n_gcn_layers"]):
                kernel = torch.empty(n_bands, width, units)
                for b in range(n_bands):
                    nn.init.xavier_uniform_(kernel[b])
                self.gcn_kernels.append(nn.Parameter(kernel))
                self.gcn_biases.append(nn.Parameter(torch.zeros(n_bands, 1, units)))
                width = units
            self.gru = nn.GRU(n_nodes * units, gru_units, batch_first=True)
            self.dropout = nn.Dropout(config["dropout"])
            self.heads = nn.Linear(gru_units + latent, 2)  # valence, arousal logits
            self.centers = nn.Parameter(torch.empty(4, gru_units + latent))
            nn.init.xavier_uniform_(self.centers)

        def forward(self, grid, nodes, adjacency):
            h = self.encoder(grid.unsqueeze(1)).flatten(1)
            z_mean, z_log_var = self.z_mean(h).float(), self.z_log_var(h).float().clamp(-10, 10)
            z = z_mean + torch.exp(0.5 * z_log_var) * torch.randn_like(z_mean)
            r = torch.relu(self.decoder_dense(z)).view(-1, *code)
            reconstruction = self.decoder(r).view(-1, n_times, n_rows, n_cols)
            x = nodes  # (batch, n_bands, n_nodes, n_feats)
            for kernel, bias in zip(self.gcn_kernels, self.gcn_biases, strict=True):
                x = torch.relu(torch.matmul(torch.matmul(adjacency, x), kernel) + bias)
            _, last = self.gru(x.flatten(2))
            fused = torch.cat([last[0].to(z.dtype), z], dim=-1)
            logits = self.heads(self.dropout(fused))
            return logits.float(), fused.float(), reconstruction.float(), z_mean, z_log_var

    module = VAEGNN()
    alpha, gamma = config["focal_alpha"], config["focal_gamma"]
    betas = config["beta_focal"], config["beta_triplet"], config["beta_vae"]
    margin, kl_weight = config["triplet_margin"], config["kl_weight"]

    def focal(logits, target):
        p = torch.sigmoid(logits)
        ce = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        p_t = target * p + (1 - target) * (1 - p)
        alpha_t = target * alpha + (1 - target) * (1 - alpha)
        return alpha_t * (1 - p_t) ** gamma * ce

    def loss(model, x, y):
        grid = x[0]
        logits, fused, reconstruction, z_mean, z_log_var = model(*x)
        valence, arousal = y["valence"][:, 0], y["arousal"][:, 0]
        focal_term = focal(logits[:, 0], valence) + focal(logits[:, 1], arousal)
        distances = torch.cdist(fused, model.centers.float()).square()
        own = nn.functional.one_hot((2 * arousal + valence).long(), 4).float()
        positive = (distances * own).sum(-1)
        negative = (distances + own * (distances.max() + margin + 1.0)).min(-1).values
        triplet = torch.relu(margin + positive - negative)
        mse = (grid - reconstruction).square().flatten(1).mean(-1)
        kl = -0.5 * (1 + z_log_var - z_mean.square() - z_log_var.exp()).sum(-1)
        total = betas[0] * focal_term + betas[1] * triplet + betas[2] * (mse + kl_weight * kl)
        return total.mean()

    return Peer(
        module,
        loss,
        lambda p: torch.optim.Adam(p, lr=1e-3),
        ("eeg_grid", "node_features", "adjacency"),
        clipnorm=1.0,
    )


# === GRU classifier ===


def _gru_classifier(config, input_shapes):
    import torch
    from torch import nn

    n_features = config["n_features"]
    n_steps = config["n_steps"] or n_features
    chunk = math.ceil(n_features / n_steps)
    n_padding = n_steps * chunk - n_features

    class GRUClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(chunk, config["gru_units"], batch_first=True)
            self.dropout = nn.Dropout(config["dropout"])
            self.head = nn.Linear(n_steps * config["gru_units"], config["n_outputs"])

        def forward(self, features):  # (batch, n_features)
            if n_padding:
                features = nn.functional.pad(features, (0, n_padding))
            sequence, _ = self.gru(features.view(-1, n_steps, chunk))
            return self.head(self.dropout(sequence.flatten(1)))

    module = GRUClassifier()
    cross_entropy = nn.CrossEntropyLoss()

    def loss(model, x, y):
        return cross_entropy(model(*x).float(), y["label"])

    return Peer(module, loss, lambda p: torch.optim.Adam(p, lr=1e-3), ("features",))


PEERS = {
    "multimodal_lstm": _multimodal_lstm,
    "gru_xnet": _gru_xnet,
    "res_attention_net": _res_attention_net,
    "vae_gnn": _vae_gnn,
    "gru_classifier": _gru_classifier,
}


def build_peer(name, keras_model, input_shapes, seed=0):
    """The PyTorch peer of the registered model ``name``, with ``keras_model``'s widths.

    Args:
        name: a key of :data:`PEERS`.
        keras_model: the Keras model built through the registry (its ``get_config()`` gives
            the widths).
        input_shapes: the per-example input shapes the Keras model was built with.
        seed: ``torch.manual_seed`` before the weights are created.

    Returns:
        a :class:`Peer`.

    Raises:
        KeyError: when ``name`` has no peer.
    """
    import torch

    if name not in PEERS:
        raise KeyError(f"No PyTorch peer for model {name!r}. Expected one of {sorted(PEERS)}")
    torch.manual_seed(seed)
    return PEERS[name](keras_model.get_config(), input_shapes)
