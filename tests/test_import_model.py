"""scripts/import_model.py torch: a char-LM trained in PyTorch becomes a run directory with torch's numbers (issue 34.1)."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.training_helpers import error_line, run_script, write_tiny_corpus  # noqa: E402

pytestmark = pytest.mark.slow    # trains a small torch model, runs the script several times


class CharLM(torch.nn.Module):
    """The usual PyTorch char-LM: embedding, a 2-layer recurrent module, a linear read-out."""

    def __init__(self, vocabulary_size, kind="LSTM", embedding=12, hidden=24):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary_size, embedding)
        self.rnn = getattr(torch.nn, kind)(embedding, hidden, num_layers=2, batch_first=True)
        self.decoder = torch.nn.Linear(hidden, vocabulary_size)

    def forward(self, ids, states=None):
        out, states = self.rnn(self.embed(ids), states)
        return self.decoder(out), states


def train_torch_char_lm(text, kind, steps=40, seed=0):
    """(model, characters): a torch char-LM trained for `steps` Adam steps on random windows of `text`."""
    characters = "".join(sorted(set(text)))[::-1]            # not sorted: the import must keep torch's id order
    ids = torch.tensor([characters.index(c) for c in text])
    torch.manual_seed(seed)
    model = CharLM(len(characters), kind)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        starts = torch.randint(0, len(ids) - 51, (16,))
        x = torch.stack([ids[s:s + 50] for s in starts])
        y = torch.stack([ids[s + 1:s + 51] for s in starts])
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x)[0].reshape(-1, len(characters)), y.reshape(-1))
        loss.backward()
        optimiser.step()
    return model.eval(), characters


def torch_split_loss(model, characters, text):
    """The torch model's own mean cross-entropy on `text` from a zero state, the first character not scored."""
    ids = torch.tensor([characters.index(c) for c in text])[None]
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])
        return float(torch.nn.functional.cross_entropy(logits[0].double(), ids[0, 1:]))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_a_torch_char_lm_imports_with_torchs_loss_and_the_scripts_take_it(tmp_path, kind):
    from karpathy_rnn.data.corpus import load_corpus

    corpus_path = write_tiny_corpus(tmp_path, characters=6_000)
    text = open(corpus_path, encoding="utf-8").read()
    model, characters = train_torch_char_lm(text, kind)
    checkpoint = tmp_path / "lm.pt"
    torch.save({"epoch": 3, "model_state_dict": model.state_dict()}, checkpoint)
    vocabulary = tmp_path / "vocab.json"
    vocabulary.write_text(json.dumps({c: i for i, c in enumerate(characters)}))
    out = tmp_path / "runs" / "imported"
    done = run_script("import_model.py", "torch", checkpoint, "--vocabulary", vocabulary, "--corpus", corpus_path,
                      "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    test_text = load_corpus(corpus_path).text("test")
    expected = torch_split_loss(model, characters, test_text)
    assert results["test_loss_nats"] == pytest.approx(expected, abs=1e-5)
    assert results["torch_test_loss_nats"] == pytest.approx(expected, abs=1e-9)
    assert f"{expected:.6f} in torch" in done.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["vocabulary"] == "".join(sorted(characters)) and config["unit"] == kind.lower()
    assert config["hidden"] == 24
    if kind == "GRU":
        return                                          # the scripts below: once (LSTM) is enough
    # the scripts take the imported run as one of train.py's
    sampled = run_script("sample.py", out, "--length", "40", "--seed", "1")
    assert sampled.returncode == 0 and len(sampled.stdout) >= 40, sampled.stderr[-2000:]
    traced = run_script("analyze.py", out, "--no-progress", "--no-png", "--summary-chars", "300")
    assert traced.returncode == 0, traced.stderr[-2000:]
    from karpathy_rnn.analysis.trace import Trace
    trace = Trace(out / "analysis" / "test" / "trace")
    assert trace.text == test_text
    # the plugin lists it, and its live probe gives torch's own next-character probabilities
    from tests.test_plugin_routes import _client

    client = _client(str(tmp_path / "runs"))
    runs = {r["run"]: r for r in json.loads(client.get("/data/plugin/karpathy_rnn/runs").get_data())["runs"]}
    assert runs["imported/analysis/test"]["probe"] and runs["imported/analysis/test"]["activations"]
    probe_text = test_text[:200]
    answer = json.loads(client.get("/data/plugin/karpathy_rnn/probe", query_string={
        "run": "imported/analysis/test", "text": probe_text}).get_data())
    ids = torch.tensor([characters.index(c) for c in probe_text])[None]
    with torch.no_grad():
        expected = torch.softmax(model(ids)[0][0].double(), -1)[torch.arange(199), ids[0, 1:]].numpy()
    np.testing.assert_allclose(answer["next"], expected, atol=2e-4)


def test_bad_checkpoints_vocabularies_and_folders_are_one_line(tmp_path):
    corpus_path = write_tiny_corpus(tmp_path, characters=3_000)
    text = open(corpus_path, encoding="utf-8").read()
    model, characters = train_torch_char_lm(text, "LSTM", steps=1)
    checkpoint, vocabulary = tmp_path / "lm.pt", tmp_path / "vocab.json"
    torch.save(model.state_dict(), checkpoint)
    vocabulary.write_text(json.dumps(characters))
    garbage, short, empty_dict = tmp_path / "garbage.pt", tmp_path / "short.json", tmp_path / "linear.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    short.write_text(json.dumps(characters[:-1]))
    torch.save(torch.nn.Linear(3, 4).state_dict(), empty_dict)
    cases = [
        ((garbage, vocabulary), "is not a torch checkpoint"),
        ((empty_dict, vocabulary), "holds 0 recurrent modules"),
        ((checkpoint, short), f"has {len(characters) - 1} characters but the read-out 'decoder.weight' has "
                              f"{len(characters)} rows"),
        ((checkpoint, tmp_path / "missing.json"), "does not exist"),
    ]
    for (path, vocab), message in cases:
        done = run_script("import_model.py", "torch", path, "--vocabulary", vocab, "--corpus", corpus_path,
                          "--out", tmp_path / "out")
        assert done.returncode == 2 and message in error_line(done), (message, done.stderr[-1500:])
    (tmp_path / "held").mkdir()
    (tmp_path / "held" / "config.json").write_text("{}")
    done = run_script("import_model.py", "torch", checkpoint, "--vocabulary", vocabulary, "--corpus", corpus_path,
                      "--out", tmp_path / "held")
    assert done.returncode == 2 and "already holds a run" in error_line(done)
    other = tmp_path / "other.txt"
    other.write_text("text with characters the model never saw: Z Q !")
    done = run_script("import_model.py", "torch", checkpoint, "--vocabulary", vocabulary, "--corpus", other,
                      "--out", tmp_path / "out2")
    assert done.returncode == 2, done.stderr[-1500:]
    error_line(done)


def test_describe_asks_which_weight_when_the_shapes_leave_a_choice():
    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.torch_char_lm import describe

    lstm = torch.nn.LSTM(4, 5, batch_first=True)
    state = {f"rnn.{k}": v.numpy() for k, v in lstm.state_dict().items()}
    rng = np.random.default_rng(0)
    for name in ("head_a", "head_b"):                   # two read-out candidates of [K=6, hidden=5] with biases
        state[f"{name}.weight"] = rng.normal(size=(6, 5)).astype(np.float32)
        state[f"{name}.bias"] = np.zeros(6, np.float32)
    state["emb.weight"] = rng.normal(size=(6, 4)).astype(np.float32)
    with pytest.raises(KRNNError, match="2 candidates for the read-out.*--readout"):
        describe(state)
    described = describe(state, readout="head_b.weight")
    assert (described.readout, described.embedding) == ("head_b.weight", "emb.weight")
    assert (described.kind, described.layers, described.hidden, described.vocabulary_size) == ("LSTM", 1, 5, 6)
    del state["emb.weight"]                             # 4 inputs, 6 characters, no [6, 4] weight: named
    with pytest.raises(KRNNError, match="0 candidates for the embedding.*--embedding"):
        describe(state, readout="head_b.weight")
    square = {f"rnn.{k}": v.numpy() for k, v in torch.nn.LSTM(6, 5).state_dict().items()}
    square.update({"emb.weight": rng.normal(size=(6, 6)).astype(np.float32),          # 6 inputs = 6 characters,
                   "out.weight": rng.normal(size=(6, 5)).astype(np.float32),          # yet an embedding is there:
                   "out.bias": np.zeros(6, np.float32)})                              # it is used, not one-hot
    assert describe(square).embedding == "emb.weight"
