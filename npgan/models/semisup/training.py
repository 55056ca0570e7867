"""The (K+1)-class GAN as the trainer trains it: ``npgan train --preset mnist-semisup --labels N``.

``SemiSupervisedGAN`` holds G and D (``npgan.models.semisup.model``'s networks) and takes the
two steps; ``SemiSupervisedModel`` adds the data, the optimisers (Adam for both) and
the state that ``train.Trainer`` checkpoints; ``load_semisupervised`` is the family's
loader. The labelled images are ``config.labels`` of the 50,000 training images, as many
of each digit, drawn by ``draw_labelled`` from ``config.label_seed``; every training
image, labelled or not, is also an unlabelled one.

One iteration (Salimans et al. 2016, Algorithm 1's order):
  D step: a labelled batch, an unlabelled batch and G(z) in one forward pass of D;
          loss ``L_sup + L_unsup``; Adam on D.
  G step: an unlabelled batch and a fresh G(z) through D (training mode: its noise on);
          feature matching on D's last hidden layer; the gradient through D's layers
          (D's parameters untouched) into G; Adam on G.
"""

import os

import numpy

from npgan import checkpoint, plots
from npgan.backend import Random, asarray, get_backend
from npgan.checkpoint import CheckpointError, load_into, restore_training_parts, training_parts
from npgan.datasets import OWN
from npgan.datasets.batches import ShuffledBatches
from npgan.datasets.idx import load_mnist
from npgan.errors import UsageError
from npgan.models.common import class_count, feature_count, image_shape, image_split, labelled_images
from npgan.models.semisup import model as semisup
from npgan.nn import losses
from npgan.nn.averaging import ExponentialAverage
from npgan.nn.optim import Adam, ExponentialDecay
from npgan.nn.weightnorm import init_weight_norm


def draw_labelled(labels, n, seed, classes=semisup.CLASSES):
    """Indices of ``n`` labelled images, ``n / classes`` of each class, drawn from ``labels`` (host ints).

    The draw is on the host, with NumPy's generator seeded by ``seed``, so the same
    ``--label-seed`` picks the same images on every backend. Sorted, for readability.
    """
    labels = numpy.asarray(labels)
    if n < classes or n % classes:
        raise ValueError(f"labels: expected a multiple of {classes} (as many of each class), got {n}")
    per_class = n // classes
    rng = numpy.random.default_rng(seed)
    chosen = []
    for k in range(classes):
        where = numpy.flatnonzero(labels == k)
        if len(where) < per_class:
            raise ValueError(f"labels: class {k} has {len(where)} images, fewer than the {per_class} asked for")
        chosen.append(rng.choice(where, per_class, replace=False))
    return numpy.sort(numpy.concatenate(chosen))


class SemiSupervisedBatches:
    """Per iteration an unlabelled minibatch (all training images, shuffled every epoch) and a
    labelled one: the labelled set repeated in fresh random orders, as many rows as an epoch needs."""

    def __init__(self, x, labelled_x, labelled_y, batch_size, rng):
        self.unlabelled = ShuffledBatches(x, batch_size, rng)
        self.labelled_x, self.labelled_y = labelled_x, labelled_y
        self.batch_size, self.rng = batch_size, rng
        self.batches_per_epoch = self.unlabelled.batches_per_epoch
        self.order = None

    def new_epoch(self):
        self.unlabelled.new_epoch()
        xp, n = get_backend(), self.labelled_x.shape[0]
        rounds = -(-self.batches_per_epoch * self.batch_size // n)  # ceil
        self.order = xp.concatenate([self.rng.permutation(n) for _ in range(rounds)])

    def batch(self, i):
        """``(unlabelled_x, labelled_x, labelled_y)`` of iteration ``i``."""
        index = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.unlabelled.batch(i), self.labelled_x[index], self.labelled_y[index]

    def state(self):
        return None if self.order is None else {"unlabelled": self.unlabelled.state(),
                                                "labelled": self.order.tolist()}

    def restore(self, state):
        self.unlabelled.restore(None if state is None else state["unlabelled"])
        self.order = None if state is None else asarray(numpy.asarray(state["labelled"]))


class SemiSupervisedGAN:
    """G and the (K+1)-class D; ``classify`` and ``sample`` for a trained one (``npgan.load``)."""

    def __init__(self, config, rng, features=None):
        self.config, self.rng = config, rng
        features = features or feature_count(config)  # 784 for MNIST
        self.D = self.build_discriminator(rng, features)
        self.G = semisup.generator(config.noise_dim, config.g_hidden, rng, n_out=features, dtype=config.dtype,
                                   activation=config.semisup_g_activation,
                                   output_weight_norm=bool(config.semisup_g_weight_norm),
                                   bn_scale=bool(config.semisup_g_bn_scale))
        self.body, self.head = semisup.split_discriminator(self.D)
        self.features = features
        self.average = None  # D's exponential average (``start_average``), when the config asks for one
        self.state = {}

    def build_discriminator(self, rng, features=784):
        config = self.config
        return semisup.discriminator(config.d_hidden, rng, config.semisup_input_noise, config.semisup_hidden_noise,
                                     n_in=features, classes=class_count(config, semisup.CLASSES), dtype=config.dtype,
                                     weight_norm=bool(config.semisup_weight_norm),
                                     train_scales=bool(config.semisup_train_scales))

    def start_average(self):
        """Begin D's exponential average (rate ``config.semisup_average``) at D's parameters as they are now.

        The average's networks are built from a ``Random`` of their own, so that the run's
        random stream is the same with or without one.
        """
        spare = Random(0)
        self.average = ExponentialAverage(self.D, self.build_discriminator(spare, self.features),
                                          self.config.semisup_average)
        self.averaged_D = self.build_discriminator(spare, self.features)

    def evaluation_D(self):
        """The D that classifies: the bias-corrected average of D's parameters if one is kept, else D."""
        if self.average is None or self.average.updates == 0:
            return self.D
        return self.average.corrected(self.averaged_D)

    def sample_noise(self, n, rng=None):
        rng, config = rng or self.rng, self.config
        if config.noise == "uniform":
            return rng.uniform(-config.noise_scale, config.noise_scale, (n, config.noise_dim), config.dtype)
        return rng.normal((n, config.noise_dim), config.dtype, std=config.noise_scale)

    def sample(self, n, batch_size=1000, rng=None):
        """``n`` images ``G(z)`` in evaluation mode (batch norm's running averages), (n, 784)."""
        if self.G is None:
            raise UsageError(f"this {self.config.model} file holds D only (the classifier), no generator to sample")
        parts = [self.G.forward(self.sample_noise(min(batch_size, n - i), rng), training=False)
                 for i in range(0, n, batch_size)]
        return parts[0] if len(parts) == 1 else get_backend().concatenate(parts)

    def classify(self, x, averaged=True):
        """The predicted digit of each row of ``x`` (host int64), by ``evaluation_D()`` (``averaged=False``: D)."""
        return semisup.predict(self.evaluation_D() if averaged else self.D, x)

    def d_step(self, unlabelled, labelled, labels, optimizer):
        """One update of D on the three batches; returns its statistics (0-d arrays)."""
        xp = get_backend()
        fake = self.G.forward(self.sample_noise(unlabelled.shape[0]), training=True)
        n_lab, n_unl = labelled.shape[0], unlabelled.shape[0]
        logits = self.D.forward(xp.concatenate([labelled, unlabelled, fake]), training=True)  # (3m, K)
        sup, dsup = losses.softmax_cross_entropy(logits[:n_lab], labels)
        unsup, dreal, dfake = semisup.unsupervised_loss(logits[n_lab:n_lab + n_unl], logits[n_lab + n_unl:])
        if self.config.semisup_entropy:  # Bad GAN's: D sure of each unlabelled image's class
            _, dentropy = semisup.conditional_entropy(logits[n_lab:n_lab + n_unl])
            dreal = dreal + self.config.semisup_entropy * dentropy
        self.D.backward(xp.concatenate([dsup, dreal, dfake]), input_grad=False)
        optimizer.step()
        if self.average is not None:
            self.average.update()
        return {"sup_loss": sup, "unsup_loss": unsup,
                "d_real": semisup.real_probability(logits[n_lab:n_lab + n_unl]).mean(),
                "d_fake": semisup.real_probability(logits[n_lab + n_unl:]).mean(),
                "train_error": (logits[:n_lab].argmax(axis=1) != labels).mean()}

    def g_step(self, unlabelled, optimizer):
        """One update of G by feature matching against ``unlabelled``; D's parameters stay as they are."""
        real = semisup.run_layers(self.body, unlabelled, training=True)
        fake = self.G.forward(self.sample_noise(unlabelled.shape[0]), training=True)
        features = semisup.run_layers(self.body, fake, training=True)
        loss, dfeatures = semisup.feature_matching_loss(real, features)
        if self.config.semisup_pull_away:  # Bad GAN's: G's samples spread out in D's features
            _, dspread = semisup.pull_away(features)
            dfeatures = dfeatures + self.config.semisup_pull_away * dspread
        dfake = semisup.backward_layers(self.body, dfeatures, param_grads=False)  # through D, into G's output
        self.G.backward(dfake, input_grad=False)
        optimizer.step()
        return {"g_loss": loss}


class AdamEpsInside(Adam):
    """Adam as Improved GAN's code writes it: ``p <- p - lr m_hat / sqrt(v_hat + eps)``.

    npgan's ``Adam`` divides by ``sqrt(v_hat) + eps`` (Kingma and Ba's form). With eps
    inside the root (theirs: 1e-8), a parameter whose gradients are of size ``|g|`` well
    below ``sqrt(eps) = 1e-4`` moves by about ``lr |g| / 1e-4`` per step, not ``lr``: small
    gradients take small steps. Above it the two forms agree. Everything else (the moments,
    their bias corrections, the state a checkpoint keeps) is ``Adam``'s.
    """

    def denominator(self, v_hat):
        v_hat += self.eps  # v_hat is the step's own temporary
        return get_backend().sqrt(v_hat, out=v_hat)


def adam(config, network):
    """Adam for ``network``: npgan's, or with ``config.semisup_adam_eps > 0`` Improved GAN's ``AdamEpsInside``."""
    decay = ExponentialDecay(config.lr, config.lr_decay, config.lr_min)
    if config.semisup_adam_eps > 0:
        return AdamEpsInside(network, config.lr, config.adam_beta1, config.adam_beta2, config.semisup_adam_eps,
                             lr_schedule=decay)
    return Adam(network, config.lr, config.adam_beta1, config.adam_beta2, lr_schedule=decay)


class SemiSupervisedModel:
    """What ``train.Trainer`` trains for ``model = "semisup"`` (its interface: ``npgan.train``)."""

    stat_names = ("sup_loss", "unsup_loss", "g_loss", "d_real", "d_fake", "train_error")
    log_fields = stat_names + ("lr", "valid_error", "test_error", "test_error_iterate")
    blas_threads = None

    def __init__(self, config):
        self.config = config
        self.rng = Random(config.seed)
        mnist = load_mnist() if config.dataset != OWN else image_split(config)  # MNIST's split, or your images'
        if config.dataset == OWN:
            labelled_images(config, config.batch_size)  # one line for too few images, or none labelled
        chosen = draw_labelled(mnist.train_y, config.labels, config.label_seed, class_count(config, semisup.CLASSES))
        x = asarray(mnist.train_x, dtype=config.dtype)
        unlabelled = x
        if config.semisup_unlabelled == "train+valid":  # Improved GAN's 60,000 unlabelled images
            unlabelled = get_backend().concatenate([x, asarray(mnist.valid_x, dtype=config.dtype)])
        self.data = SemiSupervisedBatches(unlabelled, x[asarray(chosen)],
                                          asarray(mnist.train_y[chosen].astype(numpy.int64)),
                                          config.batch_size, self.rng)
        self.labelled_indices = chosen
        self.gan = SemiSupervisedGAN(config, self.rng)
        if config.semisup_weight_norm:  # the data-dependent start, on the first 500 training images, noise on
            init_weight_norm(self.gan.D, x[:500], training=True)
        if config.semisup_average:
            self.gan.start_average()
        self.d_optimizer, self.g_optimizer = adam(config, self.gan.D), adam(config, self.gan.G)
        self.iterations_per_epoch = self.data.batches_per_epoch
        self.mnist = mnist

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.gan
    def begin_epoch(self, epoch, fresh):
        if fresh:
            self.data.new_epoch()

    def step(self, i):
        unlabelled, labelled, labels = self.data.batch(i)
        out = self.gan.d_step(unlabelled, labelled, labels, self.d_optimizer)
        out.update(self.gan.g_step(unlabelled, self.g_optimizer))
        return out

    def end_epoch(self, epoch):
        """The log's ``lr`` and the error of D's class on the validation and test images.

        ``valid_error``, ``test_error``: the D that classifies (``evaluation_D``: the average
        when one is kept); ``test_error_iterate``: D's parameters as they are now.
        """
        mnist = self.mnist
        errors = {f"{split}_error": float((self.gan.classify(getattr(mnist, f"{split}_x"))
                                           != getattr(mnist, f"{split}_y")).mean()) for split in ("valid", "test")}
        if self.gan.average is None:
            errors["test_error_iterate"] = errors["test_error"]
        else:
            errors["test_error_iterate"] = float((self.gan.classify(mnist.test_x, averaged=False)
                                                  != mnist.test_y).mean())
        opt = self.d_optimizer
        return {"lr": opt.lr_schedule(opt.updates - 1), **errors}

    def checkpoint_parts(self, mid_epoch):
        state, networks, optimizers = training_parts({"G": self.gan.G, "D": self.gan.D},
                                                     {"G": self.g_optimizer, "D": self.d_optimizer},
                                                     self.rng, self.data, mid_epoch)
        state["labelled_indices"] = self.labelled_indices.tolist()
        if self.gan.average is not None:  # the raw average (from 0) and its count of updates
            networks["D_average"] = self.gan.average.raw
            state["average_updates"] = self.gan.average.updates
        return state, networks, optimizers

    def restore(self, path, state, arrays):
        if state.get("labelled_indices") != self.labelled_indices.tolist():
            raise CheckpointError(f"{os.fspath(path)}: its run trained on another draw of labelled images; resume it "
                                  "with its own --labels and --label-seed")
        restore_training_parts(path, state, arrays, {"G": self.gan.G, "D": self.gan.D},
                               {"G": self.g_optimizer, "D": self.d_optimizer}, self.rng, self.data)
        if self.gan.average is not None:
            load_into(path, arrays, "D_average", self.gan.average.raw)
            self.gan.average.updates = int(state["average_updates"])


def semisupervised_outputs(model, epoch, out_dir, say):
    """Every ``sample_every`` epochs and at the last: ``samples/epoch-NNNN.png`` (100 draws, the same z each time)."""
    every = model.config.sample_every
    if epoch == 0 or not every or (epoch % every and epoch != model.config.epochs):
        return
    plots.save_samples(model.gan, "mnist", os.path.join(out_dir, "samples", f"epoch-{epoch:04d}.png"),
                       title=f"epoch {epoch}", shape=image_shape(model.config) if model.config.dataset == OWN else None)


def load_semisupervised(path, config, state, arrays, averaged=False):
    """The ``SemiSupervisedGAN`` of a file already read: a training checkpoint (G and D, and D's
    average if the run kept one), or a classifier file (``export_classifier``: D only, ``G`` is
    then ``None``)."""
    gan = SemiSupervisedGAN(config, Random(config.seed))
    load_into(path, arrays, "D", gan.D)
    if any(name.startswith("G/") for name in arrays):
        load_into(path, arrays, "G", gan.G)
    else:
        gan.G = None
    if any(name.startswith("D_average/") for name in arrays):
        gan.start_average()
        load_into(path, arrays, "D_average", gan.average.raw)
        gan.average.updates = int(state["average_updates"])
    gan.state = state
    return gan


def export_classifier(gan, out_path):
    """Write a semi-supervised model's classifying D alone, float16: what ``npgan classify`` needs.

    gan: the loaded model (``npgan.load`` of a training checkpoint); the D written is
    ``gan.evaluation_D()`` (the average of D's parameters when the run kept one). The file's
    state records its own test error (``test_errors``: how many of the 10,000 MNIST test images
    its float16 weights misclassify), for ``npgan classify`` to reproduce.
    """
    D = gan.evaluation_D()
    averaged = D is not gan.D
    note = {"contents": "D only (the (K+1)-class discriminator, for npgan classify), float16; no generator"
                        + ("; the average of D's parameters" if averaged else ""),
            "source_epoch": gan.state.get("epoch"), "labelled_indices": gan.state.get("labelled_indices")}
    checkpoint.save(out_path, gan.config, note, {"D": D}, kind="generator", dtype="float16")
    _, state, arrays = checkpoint.read(out_path)
    mnist = load_mnist()
    written = load_semisupervised(out_path, gan.config, state, arrays)
    note["test_errors"] = int((written.classify(mnist.test_x) != mnist.test_y).sum())
    checkpoint.save(out_path, gan.config, note, {"D": D}, kind="generator", dtype="float16")
