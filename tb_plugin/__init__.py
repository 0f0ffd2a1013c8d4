"""The karpathy_rnn TensorBoard plugin: colored-text cell activations, gate saturation scatter plots, oracle
error pies, and section 4.3's closing-brace chart and per-character comparison, beside TensorBoard's scalars.

setup.py registers `tb_plugin.plugin:KarpathyRNNLoader` under the `tensorboard_plugins` entry point, so
`tensorboard --logdir runs` loads it with no flag (and keeps up to 1,000 steps of its tags, not TensorBoard's sample). It reads only the summaries of `karpathy_rnn.summary`, through
TensorBoard's data provider (`reader.py`), and serves them as small JSON routes (`plugin.py`) to an ES-module
front end (`static/`: `index.js` the shell, one module per view under `static/views/`).
"""
