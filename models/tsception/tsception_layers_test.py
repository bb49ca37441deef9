import numpy as np
import pytest

from amigos_emo.constants import amigos, deap, muse, seed
from amigos_emo.models.tsception.tsception_layers import SelectChannels, hemisphere_order


def _mirror_of(name):
    """Slow obvious reference: the even-numbered twin of an odd 10-20 name."""
    digits = "".join(c for c in name if c.isdigit())
    return name[: len(name) - len(digits)] + str(int(digits) + 1)


@pytest.mark.parametrize(
    "names", [amigos.EEG_CHANNELS, deap.EEG_CHANNELS, seed.EEG_CHANNELS, muse.EEG_CHANNELS]
)
def test_hemisphere_order_pairs_every_left_electrode_with_its_mirror(names):
    order = hemisphere_order(names)
    half = len(order) // 2
    assert len(order) == 2 * half and len(set(order)) == len(order)
    for left, right in zip(order[:half], order[half:], strict=True):
        assert _mirror_of(names[left].upper()) == names[right].upper()
    assert not any(names[i].upper().endswith("Z") for i in order)


def test_hemisphere_order_of_the_corpora():
    # AMIGOS/DREAMER Emotiv order: left 7 in order, the right half reversed to mirror them.
    assert hemisphere_order(amigos.EEG_CHANNELS) == (0, 1, 2, 3, 4, 5, 6, 13, 12, 11, 10, 9, 8, 7)
    # DEAP: the paper's 28 electrodes (Oz, Pz, Fz, Cz left out), Fp1..O1 then Fp2..O2.
    order = hemisphere_order(deap.EEG_CHANNELS)
    assert [deap.EEG_CHANNELS[i] for i in order[:2]] == ["Fp1", "AF3"]
    assert [deap.EEG_CHANNELS[i] for i in order[14:16]] == ["Fp2", "AF4"]
    assert len(order) == 28
    assert len(hemisphere_order(seed.EEG_CHANNELS)) == 54  # 62 minus 8 midline electrodes
    assert hemisphere_order(muse.EEG_CHANNELS) == (0, 1, 3, 2)  # TP9, AF7 | TP10, AF8


def test_hemisphere_order_errors():
    with pytest.raises(ValueError, match="unique"):
        hemisphere_order(("F3", "f3"))
    with pytest.raises(ValueError, match="no left/right mirrored pair"):
        hemisphere_order(("Fz", "Cz", "F3"))


def test_select_channels_matches_numpy_indexing_and_round_trips():
    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    layer = SelectChannels((5, 0, 3), name="pick")
    np.testing.assert_array_equal(np.asarray(layer(x)), x[..., [5, 0, 3]])
    clone = SelectChannels.from_config(layer.get_config())
    assert clone.indices == (5, 0, 3)
    with pytest.raises(ValueError, match="must be < n_chans=6"):
        SelectChannels((6,))(x)
