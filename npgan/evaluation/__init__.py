"""Judging a generator from its samples: arrays in, numbers out.

parzen.py      the paper's Parzen-window log-likelihood, with its bandwidth chosen on
               validation images
classifier.py  npgan's own MNIST (and Fashion-MNIST) classifier: the feature space below
metrics.py     Frechet distance, precision and recall, class balance, and the copy detector
scores.py      every metric of a set of images at once (``npgan evaluate``)
neighbours.py  nearest neighbours in pixel space (the paper's Figure 2)
theory.py      Proposition 1 and Theorem 1 computed on a grid (D*, C(G))
modes.py       the mode-collapse metrics of a 2-D toy (PacGAN's protocol)

Everything here takes arrays (or a file of weights); none of it imports a model family,
``Config`` or the training loop. It may import ``npgan.nn`` and ``npgan.datasets``.
"""
