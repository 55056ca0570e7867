"""Inpainting, p(x_not_S | x_S): one conditional GAN for a whole family of masks.

model.py     the masks, ``Inpainter`` (G(z, x_S, S) and D of (image, mask)) and its losses
network.py   G fed the observed pixels in every layer, and the convolutional G
training.py  what the trainer trains, its pictures and its files
search.py    the other route: search the plain generator's z (Yeh et al., 2017)
scores.py    how good completions are, and the two baselines that need no training
checks.py    gradient checks of the losses, the networks and the search
"""

from npgan.models.record import Family, lazy

# What a mask leaves missing (npgan inpaint --mask), and other names for them.
MASKS = ("top", "bottom", "left", "right", "centre", "random50", "random90")
ALIASES = {"center": "centre"}


def rules(config):
    return [
        (config.inpaint_l2 >= 0 and config.inpaint_diversity >= 0, "inpaint_l2 and inpaint_diversity must be >= 0"),
        (config.inpaint_skip in (0, 1), f"inpaint_skip must be 0 or 1, got {config.inpaint_skip}"),
        (not config.inpaint_skip or len(config.g_hidden) >= 1, "inpaint_skip needs at least one hidden layer in G"),
        (config.inpaint_conv >= 0, f"inpaint_conv must be >= 0 (0: an MLP G), got {config.inpaint_conv}"),
        (not config.inpaint_conv or (len(config.g_hidden) == 1 and not config.inpaint_skip
                                     and not config.inpaint_start and config.g_output_bias == "zero"),
         "inpaint_conv needs one width in g_hidden (its bottleneck), inpaint_skip 0, no inpaint_start "
         "and g_output_bias='zero' (a convolutional G has one output bias, not one per pixel)"),
        (not config.inpaint_diversity or config.batch_size >= 2,
         "inpaint_diversity needs batch_size >= 2 (G's step completes half a minibatch twice)"),
        (config.g_output == "sigmoid" and config.noise == "uniform",
         "model 'inpaint' trains with g_output='sigmoid' and noise='uniform'"),
        (config.update == "alternating" and config.k == 1,
         "model 'inpaint' trains by Algorithm 1 with k = 1 (update='alternating')"),
        (config.dataset != "own" or tuple(config.image_shape) == (1, 28, 28),
         f"model 'inpaint' completes grey 28 x 28 images (its masks are MNIST's); your images are read as "
         f"{'x'.join(map(str, config.image_shape))}: pass grey images and --image-size 28"),
    ]


FAMILIES = {
    "inpaint": Family(
        "inpaint", "an inpainter: G(z, x_S, S) completes the missing pixels of an image, D judges (image, mask)",
        can={"inpaint"}, rules=rules,
        options=("inpaint_l2", "inpaint_diversity", "inpaint_skip", "inpaint_start", "inpaint_conv"),
        datasets=("mnist", "own"),
        build=lazy("npgan.models.inpainting.training", "InpaintModel"),
        outputs=lazy("npgan.models.inpainting.training", "inpaint_outputs"),
        load=lazy("npgan.models.inpainting.training", "load_inpainter")),
}
gradcheck_rows = lazy("npgan.models.inpainting.checks", "rows")
