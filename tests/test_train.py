"""The training loop: exact resume, crash-safe checkpoints, signals, the NaN guard."""

import csv
import json
import os
import signal

import numpy as np
import pytest
from conftest import log_without_times

import npgan
from npgan import checkpoint, loading
from npgan.backend import Random, to_numpy
from npgan.cli.parser import main
from npgan.models.gan.outputs import epoch_outputs
from npgan.models.gan.training import GANModel
from npgan.presets import get_preset
from npgan.train import Interrupted, NonFiniteError, RunFault, Trainer, train

# A small, fast configuration: ring-8 with 30 iterations per epoch.
SMALL = get_preset("ring-8-plain").replace(epochs=4, iters_per_epoch=30, g_hidden=(32,), d_hidden=(32,),
                                           sample_every=2, seed=3)


def params_of(gan):
    return {f"G/{k}": npgan.to_numpy(v) for k, v in gan.G.params.items()} | \
           {f"D/{k}": npgan.to_numpy(v) for k, v in gan.D.params.items()}


def assert_bit_identical(a, b):
    pa, pb = params_of(a), params_of(b)
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)


@pytest.mark.parametrize("update, optimizer", [("alternating", "momentum"), ("simultaneous", "momentum"),
                                               ("alternating", "adam")])
def test_resume_at_an_epoch_boundary_is_bit_identical(tmp_path, update, optimizer):
    config = SMALL.replace(update=update, k=1 if update == "simultaneous" else 2, optimizer=optimizer,
                           lr=0.02 if optimizer == "momentum" else 0.001)
    whole = train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=2), tmp_path / "split", quiet=True)
    resumed = train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert_bit_identical(whole, resumed)
    rows = (tmp_path / "split" / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows] == ["epoch", "1", "2", "3", "4"]


def trainer_for(config, out_dir):
    return Trainer(GANModel(config), out_dir, epoch_outputs, quiet=True)


def stop_at(trainer, epoch, iteration):
    """Deliver a (simulated) SIGINT during ``iteration`` of ``epoch`` (both from 0)."""
    step = trainer.model.step

    def stepping(i):
        out = step(i)
        if (trainer.epoch, i) == (epoch, iteration):
            trainer._handle_signal(signal.SIGINT, None)
        return out

    trainer.model.step = stepping
    return trainer


def test_interrupt_mid_epoch_saves_and_resumes_exactly(tmp_path):
    whole = train(SMALL, tmp_path / "whole", quiet=True)
    trainer = stop_at(trainer_for(SMALL, tmp_path / "split"), 1, 7)
    message = r"SIGINT: saved .*checkpoint.npz at epoch 1, iteration 8; resume with: npgan train --resume"
    with pytest.raises(Interrupted, match=message):
        trainer.run()
    _, state, _ = checkpoint.read(tmp_path / "split" / "checkpoint.npz")
    assert (state["epoch"], state["iteration"]) == (1, 8)
    resumed = train(SMALL, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert_bit_identical(whole, resumed)


def test_a_moving_average_of_g_resumes_mid_epoch_exactly(tmp_path):
    config = SMALL.replace(average_from=2, average_rate=0.05)  # after every step of epochs 2, 3, 4
    whole = Trainer(GANModel(config), tmp_path / "whole", quiet=True).run()
    assert whole.n_averaged == 3 * whole.iterations_per_epoch
    trainer = stop_at(trainer_for(config, tmp_path / "split"), 2, 7)
    with pytest.raises(Interrupted):
        trainer.run()
    assert trainer.model.n_averaged == whole.iterations_per_epoch + 8
    resumed = trainer_for(config, tmp_path / "split")
    resumed.restore(tmp_path / "split" / "checkpoint.npz")
    resumed.run()
    for key in whole.g_average:
        np.testing.assert_array_equal(resumed.model.g_average[key], whole.g_average[key], err_msg=key)
    averaged = npgan.load(tmp_path / "split" / "checkpoint.npz", averaged=True)
    assert "averaged_epochs" not in averaged.state  # a moving average spans steps, not epoch ends
    assert averaged.state["moving_average"] == {"rate": 0.05, "steps": whole.n_averaged, "from_epoch": 2}
    np.testing.assert_array_equal(averaged.G.params["0.W"], whole.g_average["0.W"].astype("float32"))
    assert main(["export", str(tmp_path / "split" / "checkpoint.npz"), "--averaged", "-o",
                 str(tmp_path / "g.npz")]) == 0
    exported = npgan.load(tmp_path / "g.npz")
    assert exported.state["moving_average"]["steps"] == whole.n_averaged
    np.testing.assert_array_equal(exported.G.params["0.W"], averaged.G.params["0.W"])


def test_crash_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    out = tmp_path / "run"
    train(SMALL.replace(epochs=1), out, quiet=True)
    before = (out / "checkpoint.npz").read_bytes()

    def dies_half_way(f, arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(checkpoint, "write_npz", dies_half_way)
    with pytest.raises(RunFault, match=r"checkpoint.npz: disk full \(simulated\); the checkpoint of epoch 1 is whole"):
        train(SMALL.replace(epochs=2), out, resume=out / "checkpoint.npz", quiet=True)
    monkeypatch.undo()
    assert (out / "checkpoint.npz").read_bytes() == before
    assert sorted(os.listdir(out)) == [".lock", "checkpoint.npz", "log.csv", "movie", "samples", "training.gif"]
    assert sorted(os.listdir(out / "movie")) == ["epoch-0000.npz", "epoch-0001.npz", "epoch-0002.npz"]  # no temporary
    gan = npgan.load(out / "checkpoint.npz")
    assert gan.state["epoch"] == 1


def poison_at(trainer, epoch, iteration):
    """Turn a discriminator weight into NaN before ``iteration`` of ``epoch`` (both from 0)."""
    step = trainer.model.step

    def stepping(i):
        if (trainer.epoch, i) == (epoch, iteration):
            trainer.model.gan.D.layers[-1].params["W"][0, 0] = np.nan
        return step(i)

    trainer.model.step = stepping
    return trainer


def test_nan_guard_names_epoch_and_iteration_and_keeps_last_good_checkpoint(tmp_path):
    trainer = poison_at(trainer_for(SMALL, tmp_path), 1, 4)
    with pytest.raises(NonFiniteError, match=r"d_loss became nan at epoch 2, iteration 5.*last good checkpoint"):
        trainer.run()
    gan = npgan.load(tmp_path / "checkpoint.npz")
    assert gan.state["epoch"] == 1
    assert all(np.isfinite(v).all() for v in params_of(gan).values())


def test_nan_on_a_fresh_run_says_no_checkpoint_exists(tmp_path):
    with pytest.raises(NonFiniteError, match="no checkpoint was written before it"):
        poison_at(trainer_for(SMALL, tmp_path), 0, 2).run()
    assert not (tmp_path / "checkpoint.npz").exists()


def test_checkpoint_holds_everything_without_pickle(tmp_path):
    train(SMALL.replace(epochs=1), tmp_path, quiet=True)
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as npz:
        names = set(npz.files)
        assert all(npz[n].dtype != object for n in names)
    assert {"format", "config", "state", "G/0.W", "D/0.W", "opt_G/velocity/0.W", "opt_D/updates"} <= names
    config, state, _ = loading.read(tmp_path / "checkpoint.npz")
    assert config == SMALL.replace(epochs=1)
    assert checkpoint.read(tmp_path / "checkpoint.npz")[0] == json.loads(config.to_json())  # the format knows no Config
    assert state["rng"]["backend"] == "numpy" and state["epoch"] == 1


def test_foreign_and_damaged_checkpoints_are_refused(tmp_path):
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    with pytest.raises(checkpoint.CheckpointError, match="foreign.npz: not an npgan checkpoint"):
        checkpoint.read(tmp_path / "foreign.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(checkpoint.CheckpointError, match="junk.npz: not an npgan checkpoint"):
        checkpoint.read(tmp_path / "junk.npz")
    with pytest.raises(checkpoint.CheckpointError, match="no such checkpoint"):
        checkpoint.read(tmp_path / "missing.npz")


def test_generator_file_samples_like_a_checkpoint(tmp_path):
    gan = train(SMALL.replace(epochs=1), tmp_path, quiet=True)
    checkpoint.save(tmp_path / "g.npz", SMALL, {"epoch": 1}, {"G": gan.G}, kind="generator", dtype="float32")
    loaded = npgan.load(tmp_path / "g.npz")
    assert loaded.D is None
    a = npgan.to_numpy(gan.sample(50, rng=npgan.Random(9)))
    b = npgan.to_numpy(loaded.sample(50, rng=npgan.Random(9)))
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_checkpoint_gets_the_usual_file_mode(tmp_path):
    train(SMALL.replace(epochs=1), tmp_path, quiet=True)
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "checkpoint.npz").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.quality
def test_toy_1d_preset_ends_on_the_data_with_d_at_one_half(tmp_path):
    """The paper's Figure 1 end state (d): p_g = p_data, D = 1/2 everywhere G puts mass."""
    from npgan.datasets.toy import make_toy

    gan = train(get_preset("toy-1d"), tmp_path, quiet=True)
    data = make_toy("gaussian-1d")
    samples = to_numpy(gan.sample(20000, rng=Random(5)))[:, 0]
    assert abs(samples.mean() - data.mean) < 0.1 * data.std, samples.mean()
    assert abs(samples.std() - data.std) < 0.1 * data.std, samples.std()
    assert abs(float(to_numpy(gan.discriminate(gan.sample(20000, rng=Random(6)))).mean()) - 0.5) < 0.05
    real = data.sample(20000, Random(7), "float32")
    assert abs(float(to_numpy(gan.discriminate(real)).mean()) - 0.5) < 0.05  # mean D(x) on the data


def test_averaged_generator_is_the_mean_of_the_epoch_ends_and_resumes_exactly(tmp_path):
    config = SMALL.replace(average_from=2)  # epochs 2, 3, 4 of 4
    ends = []

    def keep_end(model, epoch, out_dir, say):
        if epoch:
            ends.append({k: np.asarray(v, dtype=np.float64).copy() for k, v in model.gan.G.params.items()})

    whole = Trainer(GANModel(config), tmp_path / "whole", keep_end, quiet=True).run()
    assert len(ends) == 4 and whole.n_averaged == 3
    for key, mean in whole.g_average.items():
        np.testing.assert_allclose(mean, np.mean([e[key] for e in ends[1:]], axis=0), rtol=1e-12, atol=1e-15)

    train(config.replace(epochs=3), tmp_path / "split", quiet=True)  # stop inside the averaging
    resumed = trainer_for(config, tmp_path / "split")
    resumed.restore(tmp_path / "split" / "checkpoint.npz")
    assert resumed.model.n_averaged == 2
    resumed.run()
    for key in whole.g_average:
        np.testing.assert_array_equal(resumed.model.g_average[key], whole.g_average[key], err_msg=key)

    averaged = npgan.load(tmp_path / "split" / "checkpoint.npz", averaged=True)
    for key, value in averaged.G.params.items():
        np.testing.assert_array_equal(value, whole.g_average[key].astype(value.dtype))
    train(SMALL.replace(epochs=1), tmp_path / "plain", quiet=True)  # no averaging
    with pytest.raises(checkpoint.CheckpointError, match="holds no averaged generator"):
        npgan.load(tmp_path / "plain" / "checkpoint.npz", averaged=True)


def test_a_crash_between_checkpoint_and_log_resumes_to_the_same_log_and_bytes(tmp_path, monkeypatch):
    """Epoch 2's checkpoint is written, then the process dies before its log row: the resumed
    run's log.csv (seconds aside) and final checkpoint equal an uninterrupted run's, byte for byte."""
    config = SMALL.replace(average_from=2, sample_every=0)
    train(config, tmp_path / "whole", quiet=True)

    log = Trainer._log

    def dies_at_epoch_2(self, row):
        if self.epoch == 2:
            raise KeyboardInterrupt("killed between the checkpoint and the log row (simulated)")
        return log(self, row)

    monkeypatch.setattr(Trainer, "_log", dies_at_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "split", quiet=True)
    monkeypatch.undo()
    assert log_without_times(tmp_path / "split" / "log.csv")[-1].startswith("1,")
    train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert log_without_times(tmp_path / "split" / "log.csv") == log_without_times(tmp_path / "whole" / "log.csv")
    assert (tmp_path / "split" / "log.csv").read_text().splitlines()[2].split(",")[1] == "nan"  # its time was lost
    whole, split = (tmp_path / d / "checkpoint.npz" for d in ("whole", "split"))
    assert whole.read_bytes() == split.read_bytes()


def test_a_resumed_figure1_keeps_the_panels_drawn_before(tmp_path):
    config = get_preset("toy-1d").replace(epochs=6, iters_per_epoch=3)
    train(config.replace(epochs=2), tmp_path, quiet=True)  # panels: start, 1 and the last, 2
    _, state, _ = checkpoint.read(tmp_path / "checkpoint.npz")
    assert [p["label"] for p in state["figure1"]] == ["start", "epoch 1", "epoch 2"]
    train(config, tmp_path, resume=tmp_path / "checkpoint.npz", quiet=True)
    _, state, _ = checkpoint.read(tmp_path / "checkpoint.npz")
    assert [p["label"] for p in state["figure1"]] == ["start", "epoch 1", "epoch 2", "epoch 6"]


def test_the_momentum_of_each_epoch_follows_pylearn2(tmp_path):
    """pylearn2's MomentumAdjustor gives epoch e (from 1) alpha = (e - start) / (saturate - start)."""
    config = SMALL.replace(epochs=3, momentum_start=0.5, momentum_end=0.7, momentum_start_epoch=1,
                           momentum_saturate_epoch=3, sample_every=0)
    train(config, tmp_path / "new", quiet=True)
    train(config.replace(momentum_ramp="late"), tmp_path / "late", quiet=True)

    def momenta(run):
        rows = csv.DictReader((tmp_path / run / "log.csv").read_text().splitlines())
        return [float(row["momentum"]) for row in rows]

    assert momenta("new") == pytest.approx([0.5, 0.6, 0.7])
    assert momenta("late") == pytest.approx([0.5, 0.5, 0.6])


@pytest.mark.parametrize("changes", [
    dict(preset="ring-8-plain", epochs=1, iters_per_epoch=3),
    dict(preset="tiny-inpaint", iters_per_epoch=3, needs_mnist=True),
    dict(preset="mnist-encoder", epochs=1, iters_per_epoch=3, e_hidden=(8,), needs_mnist=True),
], ids=["gan", "inpaint", "encoder"])
def test_train_returns_what_load_gives_for_its_checkpoint(tmp_path, changes):
    changes = dict(changes)
    if changes.pop("needs_mnist", False):
        from conftest import require_data
        require_data("mnist")
    config = get_preset(changes.pop("preset")).replace(**changes)
    trained = train(config, tmp_path, quiet=True)
    loaded = npgan.load(tmp_path / "checkpoint.npz")
    assert type(trained) is type(loaded) and trained.config == loaded.config == config
    for name in ("G", "E"):
        if getattr(loaded, name, None) is not None:
            for key, value in getattr(loaded, name).params.items():
                assert (to_numpy(value) == to_numpy(getattr(trained, name).params[key])).all(), (name, key)
