"""The paper's Table 2 as data: test cross-entropy (nats per character) of the n-gram and n-NN baselines.

Source: Karpathy, Johnson, Fei-Fei, "Visualizing and Understanding Recurrent Networks", ICLR 2016 workshop,
Table 2 (section 4.3); bootstrap standard deviation below 4e-3 in all cases. n is the characters of context
(the n-gram column n is an (n+1)-gram model).
"""

TABLE2_NGRAM = {
    "war_and_peace": {1: 2.399, 2: 1.928, 3: 1.521, 4: 1.314, 5: 1.232, 6: 1.203, 7: 1.194, 8: 1.194, 9: 1.194,
                      20: 1.195},
    "linux_kernel": {1: 2.702, 2: 1.954, 3: 1.440, 4: 1.213, 5: 1.097, 6: 1.027, 7: 0.982, 8: 0.953, 9: 0.933,
                     20: 0.889},
}
TABLE2_NN = {
    "war_and_peace": {1: 2.399, 2: 1.931, 3: 1.553, 4: 1.451, 5: 1.339, 6: 1.321},
    "linux_kernel": {1: 2.707, 2: 1.974, 3: 1.505, 4: 1.395, 5: 1.256, 6: 1.376},
}
PAPER_CORPUS = {"linux_kernel_paper": "linux_kernel"}     # the paper's own file has the paper's numbers


def paper_ngram(corpus: str, n: int) -> float | None:
    """The paper's n-gram test loss for a corpus name and n, or None where the paper has none."""
    return TABLE2_NGRAM.get(PAPER_CORPUS.get(corpus, corpus), {}).get(n)


def paper_nn(corpus: str, n: int) -> float | None:
    """The paper's n-NN test loss for a corpus name and n, or None where the paper has none."""
    return TABLE2_NN.get(PAPER_CORPUS.get(corpus, corpus), {}).get(n)
