import sys
import time

import numpy as np
import torch

sys.path.insert(0, '/work/main/benchmarks')
import train_step as T

torch.set_num_threads(1)
x = T.load_train()
x = x[0] if isinstance(x, tuple) else x
run = T.TorchRun(np.ascontiguousarray(x, dtype=np.float32), T.logit_mean(x).astype(np.float32), 'cpu', seed=int(sys.argv[1]))
for epoch in range(6):
    s = time.time(); dl = gl = 0
    for i in range(500):
        d, g = run.step(); dl += float(d); gl += float(g)
    print(epoch + 1, round(dl / 500, 4), round(gl / 500, 4), round(time.time() - s, 1), flush=True)
