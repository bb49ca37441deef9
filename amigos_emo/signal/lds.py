"""The linear-dynamical-system smoother of the SEED ``de_LDS`` / ``psd_LDS`` features.

Each feature series (one channel x band over the windows of a trial) is modelled as a scalar
random walk observed in noise (Shi & Lu 2010; Duan, Zhu & Lu 2013)::

    z_t = A z_{t-1} + w_t,   w_t ~ N(0, Q)      (hidden, slowly varying emotional state)
    y_t = C z_t + v_t,       v_t ~ N(0, R)      (the feature measured in window t)
    z_0 ~ N(mu_0, V_0)

A Kalman filter runs forward and a Rauch-Tung-Striebel (RTS) smoother backward; the smoothed
means ``E[z_t | y_1..y_n]`` are the output. Defaults follow the smoother distributed with SEED
(and copied by most Python ports): ``A = C = 1``, ``Q = 1e-4``, ``R = 1``, ``V_0 = 0.01`` and
``mu_0`` the series mean. With ``Q / R = 1e-4`` the smoother is a strong low-pass: it keeps the
slow trend of a feature across a trial and removes window-to-window jitter. Many Python ports stop
after the forward filter; ``backward=False`` reproduces them.

No library offers a batched scalar RTS smoother (``scipy`` has none; ``filterpy`` / ``pykalman``
loop over series), hence this module. The variances and gains do not depend on the data, so they
are computed once per call and the mean recursions act on all series at each step.
"""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array, check_positive, validate_type


def lds_gains(
    n_steps,
    transition=1.0,
    observation=1.0,
    process_noise=1e-4,
    observation_noise=1.0,
    prior_variance=0.01,
):
    """Data-independent Kalman and RTS gains of the scalar model (see module docstring).

    Args:
        n_steps: series length ``n``.
        transition, observation, process_noise, observation_noise, prior_variance: ``A``, ``C``,
            ``Q``, ``R`` and ``V_0``.

    Returns:
        dict of float64 ``(n_steps,)`` arrays: ``kalman_gain`` ``K_t``, ``filtered_variance``
        ``V_t = Var[z_t | y_1..y_t]``, ``predicted_variance`` ``P_t = A^2 V_t + Q`` (the variance
        of ``z_{t+1}`` before seeing ``y_{t+1}``), ``smoother_gain`` ``J_t = V_t A / P_t`` and
        ``smoothed_variance`` ``Var[z_t | y_1..y_n]``.
    """
    a, c, q, r = (
        float(transition),
        float(observation),
        float(process_noise),
        float(observation_noise),
    )
    kalman_gain = np.empty(n_steps)
    filtered_variance = np.empty(n_steps)
    predicted_variance = np.empty(n_steps)
    prior = float(prior_variance)
    for t in range(n_steps):
        kalman_gain[t] = prior * c / (c * prior * c + r)
        filtered_variance[t] = (1.0 - kalman_gain[t] * c) * prior
        predicted_variance[t] = a * filtered_variance[t] * a + q
        prior = predicted_variance[t]
    smoother_gain = filtered_variance * a / predicted_variance
    smoothed_variance = filtered_variance.copy()
    for t in range(n_steps - 2, -1, -1):
        smoothed_variance[t] += smoother_gain[t] ** 2 * (
            smoothed_variance[t + 1] - predicted_variance[t]
        )
    return {
        "kalman_gain": kalman_gain,
        "filtered_variance": filtered_variance,
        "predicted_variance": predicted_variance,
        "smoother_gain": smoother_gain,
        "smoothed_variance": smoothed_variance,
    }


def lds_smooth(
    series,
    axis=0,
    transition=1.0,
    observation=1.0,
    process_noise=1e-4,
    observation_noise=1.0,
    prior_variance=0.01,
    prior_mean="mean",
    backward=True,
):
    """Kalman-filter then RTS-smooth every series along ``axis`` at once (SEED's LDS features).

    Recursions, with ``K_t``, ``P_t``, ``J_t`` from :func:`lds_gains` and ``u`` the means::

        u_1 = mu_0 + K_1 (y_1 - C mu_0)
        u_t = A u_{t-1} + K_t (y_t - C A u_{t-1})             t = 2..n (filter)
        s_n = u_n,  s_t = u_t + J_t (s_{t+1} - A u_t)          t = n-1..1 (smoother)

    Args:
        series: real array with time along ``axis``, e.g. DE features ``(n_windows, n_chans,
            n_bands)`` with ``axis=0``. Every other index is an independent series.
        axis: the time axis.
        transition: ``A`` (1: random walk).
        observation: ``C``.
        process_noise: ``Q > 0``, variance of the state's step-to-step change.
        observation_noise: ``R > 0``, variance of the measurement noise. Only ``Q / R`` (and
            ``V_0 / R``) matter for the means; smaller ``Q / R`` smooths more.
        prior_variance: ``V_0 > 0``.
        prior_mean: ``mu_0``; ``"mean"`` (SEED) uses each series' own mean over time, or a number.
        backward: run the RTS pass; ``False`` returns the forward (causal) filter means.

    Returns:
        float64 array of ``series``' shape: the smoothed (or filtered) means.

    Raises:
        ValueError: for non-finite values, an empty time axis or non-positive noise variances.
    """
    series = check_array(series, "series", dtype_kind="f")
    validate_type(axis, (int, np.integer), "axis")
    if series.ndim == 0 or not -series.ndim <= axis < series.ndim:
        raise ValueError(
            f"axis must index the time axis of series. Received: axis={axis} for series with shape {series.shape}"
        )
    validate_type(transition, "numeric", "transition")
    validate_type(observation, "numeric", "observation")
    check_positive(process_noise, "process_noise")
    check_positive(observation_noise, "observation_noise")
    check_positive(prior_variance, "prior_variance")
    if not (isinstance(prior_mean, str) and prior_mean == "mean"):
        validate_type(prior_mean, "numeric", "prior_mean")
    moved = np.moveaxis(series.astype(np.float64, copy=False), axis, 0)
    n_steps = moved.shape[0]
    if n_steps == 0:
        raise ValueError(
            f"series must hold at least one time step. Received: series with shape {series.shape}"
        )
    if not np.isfinite(moved).all():
        raise ValueError(
            f"series must hold finite values. Received: {int((~np.isfinite(moved)).sum())} NaN or "
            f"infinite values in series with shape {series.shape}"
        )
    gains = lds_gains(
        n_steps, transition, observation, process_noise, observation_noise, prior_variance
    )
    kalman_gain, smoother_gain = gains["kalman_gain"], gains["smoother_gain"]
    a, c = float(transition), float(observation)
    mu_0 = (
        moved.mean(axis=0)
        if isinstance(prior_mean, str)
        else np.full(moved.shape[1:], float(prior_mean))
    )

    means = np.empty_like(moved)
    means[0] = mu_0 + kalman_gain[0] * (moved[0] - c * mu_0)
    for t in range(1, n_steps):
        predicted = a * means[t - 1]
        means[t] = predicted + kalman_gain[t] * (moved[t] - c * predicted)
    if backward:
        for t in range(n_steps - 2, -1, -1):
            means[t] += smoother_gain[t] * (means[t + 1] - a * means[t])
    return np.moveaxis(means, 0, axis)
