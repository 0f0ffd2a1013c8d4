"""karpathy_rnn: see README.md. Lower bounds are the versions tested; no upper pins."""

from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as f:
    long_description = f.read()

setup(
    name="karpathy_rnn",
    version="0.1.0",
    description="Character-level RNN/LSTM/GRU language models and the analyses of "
                "'Visualizing and Understanding Recurrent Networks' as Keras 3 software",
    long_description=long_description,
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["karpathy_rnn", "karpathy_rnn.*", "tb_plugin", "tb_plugin.*"]),
    package_data={"tb_plugin": ["static/*.js", "static/*.css", "static/views/*.js", "static/views/*.css"]},
    # `tensorboard --logdir runs` finds the plugin here: no flag, a tab beside Scalars (the loader keeps every step)
    entry_points={"tensorboard_plugins": ["karpathy_rnn = tb_plugin.plugin:KarpathyRNNLoader"]},
    install_requires=[
        "tensorflow>=2.21",  # the CPU build; [gpu] adds the CUDA libraries
        "keras>=3.15",
        "tensorboard>=2.21",
        "tensorflow-datasets>=4.9.10",
        "importlib_resources>=7.1",  # tensorflow-datasets imports it for builders but does not declare it
        "numpy>=2.4",
        "matplotlib>=3.11",
        "scikit-learn>=1.7",  # t-SNE of model agreement (Figure 1, right)
        "h5py>=3.11",  # states from other tools in LSTMVis' HDF5 layout (analyze.py import-states)
    ],
    extras_require={
        "gpu": ["tensorflow[and-cuda]>=2.21"],
        # the browser tests drive Debian's chromium + chromium-driver (apt) with Selenium
        "dev": ["pytest>=9.0", "pytest-xdist>=3.6", "selenium>=4.51"],
        # Keras' other backends, for tests/test_layers_backends.py and the benchmarks. An unpinned
        # torch from PyPI is the CUDA build (GBs); install the CPU one first where that matters.
        "backends": ["jax>=0.10", "torch>=2.13"],
    },
)
