"""Planted bugs the tests must catch: `python tests/mutants.py [substring]` applies each (or those whose file
contains the substring), runs the tests that should fail, restores the file, and prints KILLED or SURVIVED (exit 1
if any survived).

Each entry: (file, the exact original text, the bug, the tests: a -k selector of tests/test_layers_conformance.py,
or "tests/<file>.py::<-k selector>"). Not collected by pytest (no test_ prefix); run it after changing what a
mutant plants into, or its tests. The issue-15 mutants run real training and browsers: about 12 minutes.
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
 # issue 15: crash safety, one writer, hostile summaries, corrupt files
 ("karpathy_rnn/training/events.py", "if not dropped and not truncated:", "if True:", "tests/test_crash_safety.py::kill"),
 ("karpathy_rnn/training/trainer.py", "if self.saved_step == self.global_step:", "if False:", "tests/test_train.py::never_rewritten"),
 ("karpathy_rnn/training/run_dir.py", "fcntl.LOCK_EX | fcntl.LOCK_NB", "fcntl.LOCK_SH | fcntl.LOCK_NB", "tests/test_train.py::one_writer"),
 ("karpathy_rnn/training/run_dir.py", "problem = values is not None and _type_problem(values, config_fields())", "problem = None", "tests/test_corrupt_files.py::config"),
 ("karpathy_rnn/training/run_dir.py", '        f.writelines(f"all_model_checkpoint_timestamps: {time!r}\\n" for time in times)\n', "", "tests/test_corrupt_files.py::checkpoints/checkpoint"),
 ("karpathy_rnn/models.py", "TypeError, RuntimeError, zipfile.BadZipFile)", "TypeError, RuntimeError)", "tests/test_corrupt_files.py::best.keras"),
 ("karpathy_rnn/summary_schema.py", "MAX_COUNT = 2**53 - 1 ", "MAX_COUNT = 2**200 ", "tests/test_plugin_fuzz.py::hostile_summaries_get"),
 ("karpathy_rnn/summary_schema.py", "    if kind == \"activations\" and not problems:\n        problems += _block_problems(checked)\n", "", "tests/test_plugin_fuzz.py::hostile_summaries_get"),
 ("tb_plugin/static/views/colored_text.js", "Object.hasOwn(data.descriptions, feature) ? data.descriptions[feature] : ''", "data.descriptions[feature] || ''", "tests/test_plugin_browser.py::names_like"),
 ("tb_plugin/static/views/oracle.js", "const [hue, saturation] = GROUP_COLORS.get(s.group) || [(i * 47) % 360, 45];", "const [hue, saturation] = {}[s.group] || GROUP_COLORS.get(s.group) || [(i * 47) % 360, 45];", "tests/test_plugin_browser.py::names_like"),
 # issue 16: a newcomer's first hour
 ("karpathy_rnn/tf_startup.py", "if not STARTUP_LINE.match(line)]", "if True]", "tests/test_first_hour.py::real_run"),
 ("karpathy_rnn/render.py", "white = 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05", "white = 1.05 / (luminance + 0.05) < (luminance + 0.05) / 0.05", "tests/test_render_and_summary.py::black_or_white"),
 ("karpathy_rnn/training/progress.py", "if self.session_steps > WARMUP_STEPS:", "if True:", "tests/test_training_budget.py::progress"),
 # issue 17: fidelity
 ("karpathy_rnn/layers/base.py", "return paper_initializer(weight_seed(initializer.seed, weight))", "return initializer", "tests/test_models.py::independent"),
 ("karpathy_rnn/analysis/extract.py", "writer.write_gates(start + skip - 1,", "writer.write_gates(max(start + skip - 2, 0),", "tests/test_analysis_trace.py::after_reading"),
 ("karpathy_rnn/analysis/saturation.py", "    values = np.asarray(values, np.float32)\n    return values < np.float32(left), values > np.float32(right)", "    return values < left, values > right", "tests/test_analysis_trace.py::thresholds"),
 ("karpathy_rnn/analysis/cells.py", "if abs(best[0].correlation) >= min_abs_r:", "if True:", "tests/test_analysis_features.py::no_cell_tracks"),
 ("karpathy_rnn/training/evaluation.py", "starts = np.arange(0, len(losses), max(int(block), 1))", "starts = np.arange(0, len(losses), 1)", "tests/test_figure1.py::block_bootstrap"),
]
survived = 0
only = sys.argv[1] if len(sys.argv) > 1 else ""
for path, old, new, k in MUTANTS:
    if only not in path:
        continue
    tests, k = k.split("::") if "::" in k else ("tests/test_layers_conformance.py", k)
    path = os.path.join(REPO, path)
    src = open(path).read()
    assert src.count(old) == 1, (path, old)
    open(path, "w").write(src.replace(old, new))
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                            tests, "-k", k], capture_output=True, text=True, cwd=REPO)
        survived += r.returncode == 0
        print("KILLED" if r.returncode else "SURVIVED", os.path.relpath(path, REPO), new[:60].replace("\n", " "))
    finally:
        open(path, "w").write(src)
sys.exit(1 if survived else 0)
