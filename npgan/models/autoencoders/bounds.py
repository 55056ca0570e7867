"""Bounds on a VAE's log p(x), in nats per image, and ``npgan elbo``, which reports them on the test set.

For an image ``x`` and ``k`` draws ``z_i = mu + sigma * eps_i`` from ``q(z | x)``,
importance sampling with ``q`` as the proposal gives (Burda, Grosse and Salakhutdinov,
2016, eq. 8)

    log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x)
    L_k     = log (1/k) sum_i w_i = log_mean_exp_i(log w_i),

whose expectation is a lower bound on ``log p(x)`` (Jensen: ``E log mean w <= log E w =
log p(x)``) that rises with ``k`` and reaches ``log p(x)`` as ``k -> inf`` (their
Theorem 1). ``L_1`` is the ELBO. Here ``log p(z) = log N(z; 0, I)`` and
``log q(z | x) = log N(eps; 0, I) - (1/2) sum_j logvar_j`` (the density of
``mu + sigma * eps`` is that of ``eps`` divided by ``prod_j sigma_j``). The ELBO is
reported with its analytic KL, ``mean_i log p(x | z_i) - KL(q || p)``, over the same
draws. Both are means over the images, with their standard errors (std / sqrt(n)).

These are log-*probabilities* only for binary pixels (``ae_binarize = "stochastic"``:
the test images binarised once, ``autoencoder_model.evaluation_images``). On grey pixels
the same formulas give a Bernoulli cross-entropy bound that is no log-likelihood of the
images, and ``npgan elbo`` says so.
"""

import math
import os
import time

from npgan.backend import Random, get_backend, to_numpy
from npgan.cli.arguments import output_file, positive_int, seed
from npgan.models.autoencoders import losses as AL

ROWS_PER_CHUNK = 10000  # decoded images at a time (k per test image): about 31 MB of float32 logits


def bounds(vae, x, k, rng, rows_per_chunk=ROWS_PER_CHUNK):
    """Per image of ``x`` (n, D): ``{"elbo": (n,), "iw": (n,)}``, float64 arrays of the backend.

    ``iw`` is ``L_k`` from ``k`` draws of ``eps`` from ``rng``; ``elbo`` uses the same draws.
    """
    xp = get_backend()
    if k < 1:
        raise ValueError(f"bounds: k must be >= 1, got {k}")
    per_chunk = max(1, rows_per_chunk // k)
    elbo, iw = [], []
    for start in range(0, len(x), per_chunk):
        xc = x[start:start + per_chunk]  # (c, D)
        c = len(xc)
        mu, logvar = vae.posterior(xc)  # (c, L) each
        eps = rng.normal((c, k, vae.code_dim), dtype=mu.dtype.name)
        z = mu[:, None, :] + xp.exp(0.5 * logvar)[:, None, :] * eps  # (c, k, L)
        logits = vae.G.forward(z.reshape(c * k, -1), training=False).reshape(c, k, -1)  # (c, k, D)
        log_px = AL.bernoulli_log_likelihood(logits, xc[:, None, :]).astype("float64")  # (c, k)
        log_pz = AL.log_standard_normal(z.astype("float64"))
        log_qz = AL.log_standard_normal(eps.astype("float64")) - 0.5 * logvar.astype("float64").sum(axis=1)[:, None]
        iw.append(AL.log_mean_exp(log_px + log_pz - log_qz, axis=1))
        mu, logvar = mu.astype("float64"), logvar.astype("float64")
        kl = 0.5 * (mu * mu + xp.exp(logvar) - 1.0 - logvar).sum(axis=1)
        elbo.append(log_px.mean(axis=1) - kl)
    return {"elbo": xp.concatenate(elbo), "iw": xp.concatenate(iw)}


def summary(values):
    """``(mean, standard error)`` of per-image values, as Python floats."""
    host = to_numpy(values)
    return float(host.mean()), float(host.std() / math.sqrt(len(host)))


def add_parser(sub, common):
    """Register ``npgan elbo`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("elbo", parents=[common],
                       help="a VAE's ELBO and importance-weighted bound on log p(x) of the MNIST test set (nats)")
    p.add_argument("checkpoint")
    p.add_argument("-k", type=positive_int, default=1000,
                   help="draws from q(z|x) per image for the importance-weighted bound (default 1000)")
    p.add_argument("--images", type=positive_int, default=10000, help="the first N test images (default all 10000)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the draws of eps (default 0)")
    p.add_argument("-o", "--output", help="also write the results as JSON to this file")
    p.add_argument("--force", action="store_true", help="replace the -o file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    from npgan.cli.commands import first_test_images, load_model
    from npgan.files import write_json
    from npgan.models.autoencoders.training import evaluation_images

    if args.output:
        output_file(args.output, (".json",), args.force, [args.checkpoint])
    vae = load_model(args.checkpoint, "elbo")
    first_test_images(vae, args.images)  # refuses too many images in one line
    x = evaluation_images(vae.config, "test", args.images)
    start = time.perf_counter()
    result = {name: summary(values) for name, values in bounds(vae, x, args.k, Random(args.seed)).items()}
    binary = vae.config.ae_binarize == "stochastic"
    pixels = ("binarised test images (0/1 pixels drawn once, seed 0): log-probabilities" if binary
              else "grey test images: a Bernoulli cross-entropy bound, NOT a log-likelihood of the images")
    (elbo, elbo_se), (iw, iw_se) = result["elbo"], result["iw"]
    print(f"{args.checkpoint}: {args.images} {pixels}")
    print(f"  ELBO                            {elbo:9.2f} +- {elbo_se:.2f} nats per image")
    print(f"  importance-weighted, k = {args.k:<6d} {iw:9.2f} +- {iw_se:.2f} nats per image")
    seconds = time.perf_counter() - start
    print(f"  ({seconds:.1f} s)")
    if args.output:
        write_json({"checkpoint": os.fspath(args.checkpoint), "images": args.images, "k": args.k, "seed": args.seed,
                    "binarized": binary, "elbo": elbo, "elbo_se": elbo_se, "iw_bound": iw, "iw_bound_se": iw_se,
                    "seconds": round(seconds, 2)}, args.output)
        print(f"wrote {args.output}")
    return 0
