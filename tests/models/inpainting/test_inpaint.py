"""Inpainting: the masks, the copy-through composition and its gradient, the steps, the search
route, the scores and baselines, and a tiny model trained, resumed, saved and loaded."""


import numpy as np
import pytest
from conftest import load_script, require_data

import npgan
from npgan.backend import Random, asarray, to_numpy
from npgan.config import Config
from npgan.models.common import save_model_file
from npgan.models.inpainting import checks as inpainting_checks
from npgan.models.inpainting import model as inpainting
from npgan.models.inpainting.model import (
    MASKS,
    Inpainter,
    compose,
    compose_backward,
    mask_name,
    observed_mask,
    training_masks,
)
from npgan.models.inpainting.network import ConvGenerator, SkipGenerator, widen_generator
from npgan.models.inpainting.scores import missing_error_and_spread, nearest_on_observed
from npgan.models.inpainting.search import complete_by_search, search_gradient
from npgan.nn import mlp


def _tiny_inpainter(rng, dtype="float32", noise_dim=4):
    G = mlp.generator(noise_dim + 784, (16,), 784, rng, "sigmoid", 0.5, dtype=dtype)
    D = mlp.discriminator(2 * 784, (8,), rng, 2, init_range=0.05, dtype=dtype)
    return Inpainter(G, D, rng, noise_dim)


def test_fixed_masks_hide_what_they_name(xp):
    rng = Random(0)
    grids = {name: 1 - to_numpy(observed_mask(name, 2, rng)).reshape(2, 28, 28) for name in MASKS[:5]}
    expected = {name: np.zeros((28, 28)) for name in grids}
    expected["top"][:14] = 1
    expected["bottom"][14:] = 1
    expected["left"][:, :14] = 1
    expected["right"][:, 14:] = 1
    expected["centre"][7:21, 7:21] = 1
    for name, missing in grids.items():
        assert (missing == expected[name]).all(), name
    assert mask_name("center") == "centre"
    with pytest.raises(ValueError, match="unknown mask 'middle'.*top, bottom"):
        mask_name("middle")


def test_random_masks_hide_their_share_and_differ_per_image(xp):
    rng = Random(1)
    for name, share in (("random50", 0.5), ("random90", 0.9)):
        missing = 1 - to_numpy(observed_mask(name, 200, rng))
        assert abs(missing.mean() - share) < 0.01, name
        assert (missing[0] != missing[1]).any()
    kinds = to_numpy(training_masks(700, Random(2))).sum(axis=1)
    assert {392, 588}.issubset(set(kinds.astype(int).tolist()))  # half masks observe 392, the centre 588


def test_completion_keeps_observed_pixels_and_gradient_skips_them(xp):
    rng = Random(3)
    x = rng.uniform(0, 1, (3, 784))
    observed = observed_mask("random50", 3, rng)
    o = rng.uniform(0, 1, (3, 784))
    c, obs = to_numpy(compose(x, observed, o)), to_numpy(observed) == 1
    assert (c[obs] == to_numpy(x)[obs]).all() and (c[~obs] == to_numpy(o)[~obs]).all()
    do = to_numpy(compose_backward(xp.ones((3, 784), dtype="float32"), observed))
    assert (do[obs] == 0).all() and (do[~obs] == 1).all()


def test_inpaint_returns_per_image_completions_that_use_the_noise(xp):
    inpainter = _tiny_inpainter(Random(4))
    x = Random(5).uniform(0, 1, (3, 784))
    out = to_numpy(inpainter.inpaint(x, "top", Random(6), per_image=4))
    assert out.shape == (12, 784) and 0 <= out.min() and out.max() <= 1
    observed = to_numpy(observed_mask("top", 1, Random(0)))[0] == 1
    for i in range(3):
        block = out[4 * i:4 * i + 4]
        assert (block[:, observed] == to_numpy(x)[i, observed]).all()
        assert np.abs(block[0, ~observed] - block[1, ~observed]).max() > 1e-4  # another z, another completion
    again = to_numpy(inpainter.inpaint(x, "center", Random(6), per_image=4))
    centre = to_numpy(inpainter.inpaint(x, "centre", Random(6), per_image=4))
    assert (again == centre).all()


@pytest.mark.parametrize("diversity", [0.0, 10.0])
def test_each_step_moves_only_its_own_network(diversity, xp):
    rng = Random(7)
    inpainter = _tiny_inpainter(rng)
    inpainter.diversity_weight = diversity
    from npgan.nn.optim import Adam

    opt_d, opt_g = Adam(inpainter.D, 1e-3), Adam(inpainter.G, 1e-3)
    real = rng.uniform(0, 1, (10, 784))
    before = {name: {k: v.copy() for k, v in getattr(inpainter, name).params.items()} for name in "DG"}
    out = inpainter.d_step(real, opt_d)
    assert {"d_loss", "d_real", "d_fake"} <= set(out)
    assert all(bool((v == before["G"][k]).all()) for k, v in inpainter.G.params.items())
    assert any(bool((v != before["D"][k]).any()) for k, v in inpainter.D.params.items())
    moved_d = {k: v.copy() for k, v in inpainter.D.params.items()}
    inpainter.g_step(real, opt_g)
    assert all(bool((v == moved_d[k]).all()) for k, v in inpainter.D.params.items())
    assert any(bool((v != before["G"][k]).any()) for k, v in inpainter.G.params.items())


def test_gradient_checks_pass_and_catch_a_composition_that_ignores_the_mask(monkeypatch):
    for what, grad, err, tol in inpainting_checks.rows(seed=0):
        assert err < tol, (what, grad, err)
    # The bug the composition invites: passing D's gradient to G's output on observed pixels too.
    monkeypatch.setattr(inpainting, "compose_backward", lambda dc, observed: dc)
    rows = inpainting_checks.rows(seed=0)
    bias = [err for what, grad, err, tol in rows if grad.startswith("G's output bias")]
    assert bias and bias[0] > 1e-2


def test_search_lowers_the_error_on_observed_pixels_and_keeps_them():
    rng = Random(8)
    G = mlp.generator(5, (16,), 784, rng, "sigmoid", 0.5)
    D = mlp.discriminator(784, (8,), rng, 2, init_range=0.05)
    x = to_numpy(G.forward(rng.uniform(-1, 1, (4, 5)), training=False))
    observed = observed_mask("bottom", 4, rng)
    z0 = rng.uniform(-1, 1, (4, 5))
    start, _ = search_gradient(G, D, z0, np.concatenate([x, to_numpy(observed)], axis=1), 0.01)
    completions, z, loss = complete_by_search(G, x, observed, z0, steps=30, lr=0.05, bound=3 ** 0.5, D=D,
                                              prior_weight=0.01)
    assert (to_numpy(loss) < to_numpy(start)).all() and np.abs(to_numpy(z)).max() <= 3 ** 0.5
    kept = to_numpy(observed) == 1
    assert (to_numpy(completions)[kept] == x[kept]).all()


def test_nearest_on_observed_matches_brute_force(xp):
    rng = Random(9)
    train, x = rng.uniform(0, 1, (50, 784)), rng.uniform(0, 1, (6, 784))
    for observed in (observed_mask("left", 6, rng), observed_mask("random90", 6, rng)):
        m, t, q = to_numpy(observed), to_numpy(train), to_numpy(x)
        brute = (((q[:, None, :] - t[None]) ** 2) * m[:, None, :]).sum(-1).argmin(1)
        assert (nearest_on_observed(x, observed, train, chunk=16) == brute).all()

def test_k_nearest_of_the_neighbours_script_are_the_brute_force_order(xp):
    neighbours = load_script("results/inpainting/neighbours.py")
    rng = Random(10)
    train, x = rng.uniform(0, 1, (40, 784)), rng.uniform(0, 1, (7, 784))
    observed = observed_mask("top", 7, rng)
    m, t, q = to_numpy(observed), to_numpy(train), to_numpy(x)
    brute = np.argsort((((q[:, None, :] - t[None]) ** 2) * m[:, None, :]).sum(-1), axis=1, kind="stable")[:, :4]
    index = neighbours.nearest_k(x, observed, train, 4, chunk=3)
    assert (index == brute).all()
    assert (index[:, 0] == nearest_on_observed(x, observed, train)).all()


def test_error_and_spread_on_known_completions(xp):
    x = np.zeros((2, 784), dtype="float32")
    observed = np.ones((2, 784), dtype="float32")
    observed[:, :100] = 0  # 100 missing pixels per image
    c = np.zeros((4, 784), dtype="float32")
    c[0, :100], c[1, :100] = 0.2, 0.4  # image 0: completions 0.2 and 0.4
    c[2, :100], c[3, :100] = 0.2, 0.2  # image 1: two equal completions
    mse, spread = missing_error_and_spread(asarray(x), asarray(observed), asarray(c), 2)
    assert mse == pytest.approx((0.04 + 0.16 + 0.04 + 0.04) / 4, rel=1e-5)
    # variance (ddof 1) of (0.2, 0.4) is 0.02 on image 0's missing pixels, 0 on image 1's
    assert spread == pytest.approx(np.sqrt(0.01), rel=1e-5)


def test_diversity_term_pulls_pairs_apart_up_to_its_cap_and_ignores_speckle():
    from npgan.models.inpainting.model import diversity_loss

    observed = np.ones((4, 784))
    observed[:, :112] = 0  # the top 4 rows missing: seven whole 4 x 4 cells
    o = np.zeros((4, 784))
    o[2, :112] = 0.3  # pair 0: completions 0 and 0.3 on the missing pixels; pair 1: equal
    z = np.zeros((4, 2))
    z[2:] = 1.0  # each pair's codes differ by 1 in every coordinate: s = 1
    loss, do = diversity_loss(o, z, observed, cap=1.0)
    assert loss == pytest.approx(-0.09 / 2)  # d = 0.09 for pair 0, 0 for pair 1, mean over 2 pairs
    assert (do[0, :112] > 0).all() and (do[2, :112] < 0).all() and (do[:, 112:] == 0).all()  # a down, b up
    capped, dcap = diversity_loss(o, z, observed, cap=0.05)
    assert capped == pytest.approx(-0.05 / 2) and (dcap[[0, 2]] == 0).all()
    speckle = np.zeros((4, 784))
    speckle[2, :112] = np.tile([0.3, -0.3], 56)  # neighbours flipped in opposite ways: every cell cancels
    assert diversity_loss(speckle, z, observed, cap=1.0)[0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="even number of rows"):
        diversity_loss(o[:3], z[:3], observed[:3])


def test_config_refuses_inpaint_fields_elsewhere_and_other_updates():
    with pytest.raises(ValueError, match="inpaint_l2 applies to model 'inpaint', not 'gan'"):
        Config(inpaint_l2=1.0)
    with pytest.raises(ValueError, match="inpaint_diversity applies to model 'inpaint', not 'vae'"):
        Config(model="vae", inpaint_diversity=1.0)
    with pytest.raises(ValueError, match="model 'inpaint' trains by Algorithm 1 with k = 1"):
        Config(model="inpaint", k=2)


@pytest.fixture(scope="module")
def mnist_available():
    require_data("mnist")


def test_tiny_training_resumes_bit_identically_and_its_file_loads(mnist_available, tmp_path):
    from npgan.presets import get_preset
    from npgan.train import train

    config = get_preset("tiny-inpaint").replace(iters_per_epoch=4, epochs=2, sample_every=1)
    whole = train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "half", quiet=True)
    resumed = train(config, tmp_path / "half", resume=tmp_path / "half" / "checkpoint.npz", quiet=True)
    for name in "GD":
        for key, value in getattr(whole, name).params.items():
            assert (to_numpy(value) == to_numpy(getattr(resumed, name).params[key])).all(), (name, key)
    assert (tmp_path / "whole" / "completions" / "epoch-0002.png").is_file()
    save_model_file(tmp_path / "g.npz", whole, {"epoch": 2})
    loaded = npgan.load(tmp_path / "g.npz")
    assert loaded.D is None and loaded.state["stored_dtype"] == "float16"
    x = Random(0).uniform(0, 1, (2, 784))
    assert to_numpy(loaded.inpaint(x, "random90", Random(1), per_image=3)).shape == (6, 784)
    tiny = train(get_preset("tiny-inpaint").replace(iters_per_epoch=3), tmp_path / "tiny", quiet=True)
    assert to_numpy(tiny.inpaint(x, "left", Random(1))).shape == (2, 784)


def test_skip_generator_widened_from_a_plain_one_computes_the_same_and_reads_u_at_every_layer(xp):
    rng = Random(11)
    plain = mlp.generator(4 + 784, (16, 8), 784, rng, "sigmoid", 0.5, dtype="float64")
    skip = SkipGenerator(4, (16, 8), 784, rng, 0.5, dtype="float64")
    widen_generator(plain, skip)
    x = rng.uniform(-1, 1, (3, 788), "float64")
    assert np.allclose(to_numpy(plain.forward(x)), to_numpy(skip.forward(x)), rtol=0, atol=1e-12)
    # a nonzero skip weight in the output layer makes the output move with u alone, past the hidden layers
    skip.params["4.W"][-784:] = asarray(np.eye(784)) * 3
    y0 = to_numpy(skip.forward(x))
    x2 = x.copy()
    x2[:, 4 + 100] += 0.5
    assert abs(to_numpy(skip.forward(x2))[:, 100] - y0[:, 100]).min() > 1e-3
    # widened again, to more hidden units, the skip G still computes the same function
    wider = SkipGenerator(4, (20, 12), 784, rng, 0.5, dtype="float64")
    widen_generator(skip, wider)
    assert np.allclose(to_numpy(wider.forward(x)), y0, rtol=0, atol=1e-12)
    assert (to_numpy(wider.params["2.W"][16:20]) == 0).all()  # what a new unit computes reaches nothing yet
    with pytest.raises(ValueError, match="widths differ"):
        widen_generator(mlp.generator(4 + 784, (16,), 784, rng, dtype="float64"), skip)
    with pytest.raises(ValueError, match="widths differ"):
        widen_generator(wider, skip)


def test_skip_gradient_checks_catch_a_backward_that_drops_the_skip_gradient(monkeypatch):
    def dropping(self, dy, input_grad=True, param_grads=True):  # u's gradient from the first layer only
        for layer in reversed(self.layers):
            dy = layer.backward(dy, input_grad=True, param_grads=param_grads)
            if layer is not self.layers[0] and hasattr(layer, "n_in"):
                dy = dy[:, :-self.pixels]
        return dy

    monkeypatch.setattr(SkipGenerator, "backward", dropping)
    rows = {(what, grad): err for what, grad, err, tol in inpainting_checks.rows(seed=0)}
    assert rows[("skip G (pixels into every layer)", "d[z, u], element by element")] > 1e-2


def test_warm_start_widens_a_plain_model_file_and_refuses_mismatches(mnist_available, tmp_path):
    from npgan.models.inpainting.training import InpaintModel
    from npgan.presets import get_preset
    from npgan.train import train

    plain = train(get_preset("tiny-inpaint").replace(iters_per_epoch=3), tmp_path / "plain", quiet=True)
    save_model_file(tmp_path / "plain.npz", plain, {"epoch": 1})
    stored = npgan.load(tmp_path / "plain.npz")
    config = get_preset("tiny-inpaint-skip").replace(inpaint_start=str(tmp_path / "plain.npz"), iters_per_epoch=3)
    model = InpaintModel(config)
    x = Random(0).uniform(0, 1, (4, 784), "float32")
    observed = observed_mask("left", 4, Random(1))
    z = model.gan.sample_noise(4, Random(2))
    assert np.allclose(to_numpy(model.gan.fill(z, x, observed)), to_numpy(stored.fill(z, x, observed)), atol=1e-6)
    assert (to_numpy(model.gan.G.params["2.W"][64:]) == 0).all()  # the skip rows start at zero
    # trained on, saved and loaded, the skip G keeps the observed pixels and uses its noise
    skip = train(config, tmp_path / "skip", quiet=True)
    assert skip.config.inpaint_skip == 1 and (to_numpy(skip.G.params["2.W"][64:]) != 0).any()
    save_model_file(tmp_path / "skip.npz", skip, {"epoch": 1})
    loaded = npgan.load(tmp_path / "skip.npz")
    assert isinstance(loaded.G, SkipGenerator)
    c = to_numpy(loaded.complete(x, observed, Random(3), per_image=2))
    kept = to_numpy(observed)[0] == 1
    assert (c[:, kept] == np.repeat(to_numpy(x), 2, axis=0)[:, kept]).all()
    assert np.abs(c[0] - c[1]).max() > 0
    with pytest.raises(ValueError, match="no such file"):
        train(config.replace(inpaint_start=str(tmp_path / "none.npz")), tmp_path / "none", quiet=True)
    # a resumed run holds its G: the file it started from may be gone
    (tmp_path / "plain.npz").unlink()
    resumed = train(config.replace(epochs=2), tmp_path / "skip", resume=tmp_path / "skip" / "checkpoint.npz",
                    quiet=True)
    assert isinstance(resumed.G, SkipGenerator)
    assert len((tmp_path / "skip" / "log.csv").read_text().splitlines()) == 3  # the header and two epochs
    save_model_file(tmp_path / "plain.npz", plain, {"epoch": 1})
    with pytest.raises(ValueError, match="widths"):
        InpaintModel(config.replace(g_hidden=(32, 32)))
    with pytest.raises(ValueError, match="cannot start a plain G"):
        InpaintModel(get_preset("tiny-inpaint").replace(inpaint_start=str(tmp_path / "skip.npz")))


def test_conv_gradient_checks_catch_a_backward_that_drops_the_decoder_s_skip(monkeypatch):
    def dropping(self, dy, input_grad=True, param_grads=True):  # e1's share from the decoder's skip lost
        c = self.channels
        djoin = self._back(13, 16, dy, True, param_grads)
        dbottom = self._back(6, 13, djoin[:, :c], True, param_grads)
        du = self._back(0, 3, self._back(3, 6, dbottom[:, :-self.noise_dim], True, param_grads), True, param_grads)
        return np.concatenate([dbottom[:, -self.noise_dim:], du], axis=1)

    monkeypatch.setattr(ConvGenerator, "backward", dropping)
    rows = {(what, grad): err for what, grad, err, tol in inpainting_checks.rows(seed=0)}
    assert rows[("convolutional G", "input and all of G (directional)")] > 1e-3


def test_conv_inpainter_trains_saves_loads_and_completes(mnist_available, tmp_path):
    from npgan.presets import get_preset
    from npgan.train import train

    config = get_preset("tiny-inpaint").replace(inpaint_conv=2, g_hidden=(8,), g_output_bias="zero",
                                                iters_per_epoch=3)
    model = train(config, tmp_path / "conv", quiet=True)
    assert isinstance(model.G, ConvGenerator) and (model.G.channels, model.G.bottleneck) == (2, 8)
    save_model_file(tmp_path / "conv.npz", model, {"epoch": 1})
    loaded = npgan.load(tmp_path / "conv.npz")
    assert isinstance(loaded.G, ConvGenerator)
    x = Random(0).uniform(0, 1, (3, 784), "float32")
    observed = observed_mask("top", 3, Random(1))
    c = to_numpy(loaded.complete(x, observed, Random(2), per_image=2))
    kept = to_numpy(observed)[0] == 1
    assert (c[:, kept] == np.repeat(to_numpy(x), 2, axis=0)[:, kept]).all()
    assert np.abs(c[0] - c[1]).max() > 0  # two codes, two completions
    for changes, message in ((dict(g_hidden=(8, 8)), "one width in g_hidden"),
                             (dict(inpaint_skip=1), "inpaint_skip 0"),
                             (dict(g_output_bias="data_logit_mean"), "g_output_bias='zero'"),
                             (dict(inpaint_conv=-1), "inpaint_conv must be >= 0")):
        with pytest.raises(ValueError, match=message):
            config.replace(**changes)
