"""The building blocks, each with its derivation and its gradient check: the math npgan teaches.

functional.py     forward/backward pairs of the MLP layers (Linear, ReLU, sigmoid, maxout,
                  dropout): where the derivations live
kernels.py        fast forms of the same math, the image layers' channels-last ones too
                  (selected by default on NumPy, tested equal)
layers.py         thin layer classes over ``functional``: ``params``/``grads`` and ``Sequential``
conv.py           convolution and transposed convolution, forward/backward (NCHW)
normalization.py  batch normalization, forward/backward
activations.py    LeakyReLU and tanh for inputs of any shape
image_layers.py   layer classes over ``conv``, ``normalization`` and ``activations``
losses.py         the GAN objectives from D's logits, and softmax cross-entropy
optim.py          momentum SGD with the paper's schedules, and Adam
remedies.py       layers and schedules against unstable training (minibatch std, packing,
                  instance noise)
mlp.py            the paper's generator and discriminator, at any width
gradcheck.py      the checking engine: float64 central differences, layer by layer and
                  along one direction for whole networks
checks.py         the rows of ``npgan gradcheck`` for everything above

The teaching path: ``functional`` -> ``layers`` -> ``mlp`` -> ``npgan.models.gan.model``.
This folder imports ``npgan.backend`` and ``npgan.errors`` only (setup.cfg's contracts).
"""
