"""Train a character language model in plain PyTorch, not with karpathy_rnn: the kind of model researchers hold, on
which `scripts/import_model.py torch` is shown (issue 34).

    python benchmarks/train_torch_char_lm.py --corpus tiny_shakespeare --out runs/torch-lm

An nn.Embedding(K, 64), a 2x128 nn.LSTM (batch_first), an nn.Linear(128, K); Adam, batches of 32 random windows of
100 characters of the corpus' training split. Writes OUT/model.pt (torch.save of the state_dict) and OUT/vocab.json
({character: id}, the corpus' characters sorted), and prints the loss every --every steps. Then, as LSTMVis' users
do, it dumps the model's states over the first --states-chars characters of the validation split (the torch model
run one character at a time from zero states): OUT/states.h5 holds states1, states2 (each layer's cell state c)
and output1, output2 (its h), one row per character, row t after reading character t; OUT/states.txt is the text.
"""
import argparse
import json
import os
import sys
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="tiny_shakespeare", help="a corpus name or a .txt file (default: %(default)s)")
    p.add_argument("--out", required=True, help="folder for model.pt and vocab.json")
    p.add_argument("--steps", type=int, default=500, help="Adam steps (default: %(default)s)")
    p.add_argument("--hidden", type=int, default=128, help="LSTM units per layer (default: %(default)s)")
    p.add_argument("--every", type=int, default=100, help="print the loss every N steps (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--states-chars", type=int, default=5000, help="characters of the validation split whose states "
                   "go into states.h5 (0: none; default: %(default)s)")
    args = p.parse_args(argv)
    import torch

    from karpathy_rnn.data.corpus import load_corpus

    corpus = load_corpus(args.corpus)
    text = corpus.text("train")           # only the text: the model and its training are torch's
    characters = sorted(set(text))
    index = {c: i for i, c in enumerate(characters)}
    ids = torch.tensor([index[c] for c in text])
    torch.manual_seed(args.seed)

    class CharLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(len(characters), 64)
            self.lstm = torch.nn.LSTM(64, args.hidden, num_layers=2, batch_first=True)
            self.decoder = torch.nn.Linear(args.hidden, len(characters))

        def forward(self, x):
            return self.decoder(self.lstm(self.embed(x))[0])

    model = CharLM()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        starts = torch.randint(0, len(ids) - 101, (32,))
        x = torch.stack([ids[s:s + 100] for s in starts])
        y = torch.stack([ids[s + 1:s + 101] for s in starts])
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(characters)), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        if step % args.every == 0 or step == args.steps:
            print(f"step {step}: loss {loss.item():.4f} nats/char ({time.perf_counter() - started:.0f} s)", flush=True)
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "model.pt"))
    with open(os.path.join(args.out, "vocab.json"), "w", encoding="utf-8") as handle:
        json.dump(index, handle, ensure_ascii=False)
    print(f"wrote {os.path.join(args.out, 'model.pt')} and vocab.json")
    if args.states_chars:
        shown = "".join(c for c in corpus.text("val") if c in index)[:args.states_chars]
        write_states(model, [index[c] for c in shown], os.path.join(args.out, "states.h5"))
        with open(os.path.join(args.out, "states.txt"), "w", encoding="utf-8") as handle:
            handle.write(shown)
        print(f"wrote the states over {len(shown):,} validation characters to states.h5 and states.txt")
    return 0


def write_states(model, ids: list[int], path: str) -> None:
    """LSTMVis' layout: states<l> (c) and output<l> (h) [len(ids), hidden] per layer, the model stepped one
    character at a time (torch returns every layer's c and h only at the last step of a call)."""
    import h5py
    import numpy as np
    import torch

    layers, hidden = model.lstm.num_layers, model.lstm.hidden_size
    c_rows, h_rows = np.zeros((layers, len(ids), hidden), np.float32), np.zeros((layers, len(ids), hidden), np.float32)
    states, threads = None, torch.get_num_threads()
    torch.set_num_threads(1)        # one character a step: threads only wait on each other (0.3 ms a step, not 20)
    with torch.inference_mode():
        for t, i in enumerate(ids):
            _, states = model.lstm(model.embed(torch.tensor([[i]])), states)
            h_rows[:, t], c_rows[:, t] = states[0][:, 0].numpy(), states[1][:, 0].numpy()
    torch.set_num_threads(threads)
    with h5py.File(path, "w") as handle:
        for layer in range(layers):
            handle[f"states{layer + 1}"] = c_rows[layer]
            handle[f"output{layer + 1}"] = h_rows[layer]


if __name__ == "__main__":
    sys.exit(main())
