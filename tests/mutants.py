"""Planted bugs the layer tests must catch: `python tests/mutants.py` applies each, runs the tests that
should fail, restores the file, and prints KILLED or SURVIVED (exit 1 if any survived).

Each entry: (file, the exact original text, the bug, the -k selector of tests/test_layers_conformance.py).
Not collected by pytest (no test_ prefix); run it after changing a layer or its tests.
"""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MUTANTS = [
 ("karpathy_rnn/layers/fused_tf.py", "dh_prev, dc_prev = dh_prev + (1.0 - m) * dh_carried, dc_prev + (1.0 - m) * dc_carried", "dh_prev, dc_prev = dh_prev, dc_prev + (1.0 - m) * dc_carried", "masked_gradients"),
 ("karpathy_rnn/layers/fused_tf.py", "dh_prev = dh_prev + (1.0 - m) * dh_carried", "dh_prev = dh_prev", "masked_gradients"),
 ("karpathy_rnn/layers/fused_tf.py", "return k + 1, tf.matmul(da, kernel_t) + (1.0 - m) * dh, da_array", "return k + 1, tf.matmul(da, kernel_t), da_array", "masked_gradients"),
 ("karpathy_rnn/layers/sequence_mask.py", "keep = time_major_mask if zero_output_for_mask else real_steps_so_far(time_major_mask)", "keep = time_major_mask", "masked_outputs"),
 ("karpathy_rnn/layers/sequence_mask.py", "keep = time_major_mask[-1] if zero_output_for_mask else ops.any(time_major_mask, axis=0)", "keep = time_major_mask[-1]", "masked"),
 ("karpathy_rnn/layers/gru.py", "keras_mask_order = (1, 0, 2)", "keras_mask_order = (0, 1, 2)", "same_seed"),
 ("karpathy_rnn/layers/options.py", "pairs = zip((self.for_input, self.for_recurrent), self.split(weight))\n        return ops.concatenate(", "pairs = zip((self.for_recurrent, self.for_input), self.split(weight))\n        return ops.concatenate(", "regularizers_and_constraints"),
 ("karpathy_rnn/layers/base.py", "mask = None if mask is None else ops.flip(mask, axis=1)", "mask = mask", "masked_outputs"),
 ("karpathy_rnn/layers/loop.py", "new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]", "new_states = list(new_states)", "masked_outputs"),
 ("karpathy_rnn/layers/base.py", "if self.stateful and update_states:", "if self.stateful and initial_state is None:", "stateful_keeps_final_states"),
 ("karpathy_rnn/layers/base.py", "self._regularize_activity([output] + (list(final_states) if return_state else []))", "self._regularize_activity([output])", "activity_regularizer"),
 ("karpathy_rnn/layers/lstm.py", "return ops.concatenate([init((n,), dtype=dtype), ops.ones((n,), dtype=dtype),\n                                keras_o, keras_c])", "return ops.concatenate([init((n,), dtype=dtype), ops.ones((n,), dtype=dtype),\n                                keras_c, keras_o])", "unit_forget_bias"),
]
survived = 0
for path, old, new, k in MUTANTS:
    path = os.path.join(REPO, path)
    src = open(path).read()
    assert src.count(old) == 1, (path, old)
    open(path, "w").write(src.replace(old, new))
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                            "tests/test_layers_conformance.py", "-k", k], capture_output=True, text=True, cwd=REPO)
        survived += r.returncode == 0
        print("KILLED" if r.returncode else "SURVIVED", os.path.relpath(path, REPO), new[:60].replace("\n", " "))
    finally:
        open(path, "w").write(src)
sys.exit(1 if survived else 0)
