"""The mutation suite: planted bugs the tests must catch (issue 18).

`python benchmarks/mutations.py [SUBSTRING ...] [--jobs N] [--list]` copies the working tree (tracked and
untracked, not ignored) into a temporary folder once per planted bug, plants it there, runs only the tests it
names and prints a table: the bug, the test that caught it (or SURVIVED), seconds. Exit 1 if any survived. The
working tree is never edited, so it can run while you work. SUBSTRING keeps the bugs whose file or label
contains it.

Each entry: (file, the exact original text, the bug, the tests that must trip it: "tests/<file>.py::<-k
expression>" or a bare -k expression of tests/test_layers_conformance.py). Not collected by pytest and not in
CI's default run (the whole list takes about half an hour on 2 cores); run the bugs of the modules an issue
touches before closing it, and add one for every new analysis (its table goes in the issue's note).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("KRNN_DATA_DIR") or os.path.join(os.path.dirname(REPO), "shared", "data")
MUTANTS = [
 ("karpathy_rnn/layers/fused_tf.py", "dh_prev, dc_prev = dh_prev + (1.0 - m) * dh_carried, dc_prev + (1.0 - m) * dc_carried", "dh_prev, dc_prev = dh_prev, dc_prev + (1.0 - m) * dc_carried", "masked_gradients"),
 ("karpathy_rnn/layers/fused_tf.py", "dh_prev = dh_prev + (1.0 - m) * dh_carried", "dh_prev = dh_prev", "masked_gradients"),
 ("karpathy_rnn/layers/fused_tf.py", "return k + 1, _product(da, kernel_t) + (1.0 - m) * dh, da_array", "return k + 1, _product(da, kernel_t), da_array", "masked_gradients"),
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
 ("karpathy_rnn/atomic.py", "fcntl.LOCK_EX | fcntl.LOCK_NB", "fcntl.LOCK_SH | fcntl.LOCK_NB", "tests/test_train.py::one_writer"),
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
    # issue 30: mixed precision (bf16 products, float32 states)
 ("karpathy_rnn/layers/fused_tf.py", "    return tf.cast(tf.matmul(tf.cast(a, kernel.dtype), kernel), a.dtype)", "    return tf.matmul(a, tf.cast(kernel, a.dtype))", "tests/test_layers_mixed_precision.py::reference_with_bf16_products and fused"),
 ("karpathy_rnn/layers/base.py", "    return ops.cast(ops.matmul(ops.cast(a, kernel.dtype), kernel), a.dtype)", "    return ops.matmul(a, ops.cast(kernel, a.dtype))", "tests/test_layers_mixed_precision.py::reference_with_bf16_products and step"),
 ("karpathy_rnn/layers/base.py", "        return self.variable_dtype\n", "        return self.compute_dtype\n", "tests/test_layers_mixed_precision.py::float32"),
 ("karpathy_rnn/layers/fused_tf.py", "dzf = _plus(dc * cp, df) * f * (1.0 - f)", "dzf = _plus(dc * cp, df) * f", "tests/test_layers_mixed_precision.py::gradients_match"),
 ("karpathy_rnn/layers/fused_tf.py", "I, F, O, G, C, H, None, dH, kernel_grads=False)[0]", "I, F, O, G, C, H, H, dH, kernel_grads=False)[0]", "tests/test_connectivity.py::batched_connectivity_equals and lstm"),
 ("karpathy_rnn/analysis/connectivity.py", "tf.gather(tf.cast(self.head.kernel, tf.float32), targets, axis=1)", "tf.gather(tf.cast(self.head.kernel, tf.float32), positions, axis=1)", "tests/test_connectivity.py::batched_connectivity_equals"),
 ("karpathy_rnn/layers/fused_tf.py", "dh_carried, dc_carried = dh_in + dh_next, _plus(dc_next, dc_in)", "dh_carried, dc_carried = dh_in + dh_next, dc_next", "gradients"),
 ("karpathy_rnn/training/config.py", '"rho", "decay", "decay_after", "clip", "precision")', '"rho", "decay", "decay_after", "clip")', "tests/test_train_precision.py::kept_on_resume"),
 ("karpathy_rnn/models.py", "    logits_dtype = policy.variable_dtype if policy.compute_dtype != policy.variable_dtype else dtype", "    logits_dtype = dtype", "tests/test_layers_mixed_precision.py::float32_twin"),
    # issue 18: the bugs the suite let through, and the README's promises
    ("karpathy_rnn/analysis/saturation.py", "return values < np.float32(left), values > np.float32(right)", "return values <= np.float32(left), values >= np.float32(right)", "tests/test_analysis_outputs.py::strict"),
    ("karpathy_rnn/training/evaluation.py", "return float(np.std(means, ddof=1))", "return float(np.var(means, ddof=1))", "tests/test_figure1.py::known_spread"),
    ("karpathy_rnn/training/evaluation.py", "losses[rng.integers(0, len(losses), len(losses))]", "losses[rng.integers(0, len(losses), len(losses) // 4)]", "tests/test_figure1.py::known_spread"),
    ("karpathy_rnn/analysis/publish.py", "summary.write_activations(layer.name, name, cell_values(values, name), step", "summary.write_activations(layer.name, name, values, step", "tests/test_analysis_outputs.py::read_back"),
    ("karpathy_rnn/analysis/publish.py", "characters = min(characters, trace.length)", "characters = trace.length", "tests/test_analysis_outputs.py::read_back"),
    ("scripts/analyze.py", "wanted = {\"corpus_sha256\": corpus.sha256, \"split\": args.split, \"model_file\": identity,", "wanted = {\"corpus_sha256\": corpus.sha256, \"split\": args.split,", "tests/test_analyze_script.py::new_model_file"),
    ("scripts/analyze.py", "if not args.retrace and os.path.isfile(", "if os.path.isfile(", "tests/test_analyze_script.py::new_model_file"),
    ("karpathy_rnn/layers/gru.py", "self.candidate_kernel = self.add_stacked_kernel(\"candidate_kernel\", self.units)", "self.candidate_kernel = self.add_weight(shape=(input_dim + self.units, self.units), initializer=\"glorot_uniform\", name=\"candidate_kernel\")", "tests/test_layers_exact.py::uniform_008"),
    ("karpathy_rnn/sampling.py", "next_id = int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))", "next_id = int(np.argmax(probabilities))", "tests/test_sampling.py::softmax"),
    ("karpathy_rnn/plots.py", "ax.scatter(right, left,", "ax.scatter(left, right,", "tests/test_analysis_outputs.py::figure3"),
    ("karpathy_rnn/analysis/gallery.py", "return cell_values(trace.gate(layer, state)[start:stop, cell], state)", "return trace.gate(layer, state)[start:stop, cell]", "tests/test_analysis_outputs.py::gallery"),
    ("karpathy_rnn/plots.py", "fontsize=FONT_SIZE + 1, loc=\"left\",\n                      parse_math=False)", "fontsize=FONT_SIZE + 1, loc=\"left\")", "tests/test_analysis_outputs.py::literally"),
    ("setup.py", "\"static/*.css\", \"static/views/*.js\", \"static/views/*.css\"]", "\"static/*.css\"]", "tests/test_packaging.py::package_data"),
    ("karpathy_rnn/data/locate.py", "split(os.pathsep) if d]", "split(os.pathsep)[:1] if d]", "tests/test_corpus.py::every_data_dir"),
    ("karpathy_rnn/data/locate.py", "base = os.environ.get(\"XDG_CACHE_HOME\") or os.path", "base = os.path", "tests/test_corpus.py::xdg"),
    ("karpathy_rnn/training/trainer.py", "if clip:", "if False:", "tests/test_training_recipe.py::rmsprop"),
    ("karpathy_rnn/training/trainer.py", "RMSPROP_EPSILON = 1e-16", "RMSPROP_EPSILON = 1e-8", "tests/test_training_recipe.py::rmsprop"),
    ("karpathy_rnn/training/trainer.py", "keras.optimizers.RMSprop(config.learning_rate, rho=config.rho, epsilon=RMSPROP_EPSILON)", "keras.optimizers.RMSprop(config.learning_rate, epsilon=RMSPROP_EPSILON)", "tests/test_training_recipe.py::rmsprop"),
    ("karpathy_rnn/training/trainer.py", "if self.config.patience and int(p.evaluations_since_best) >= self.config.patience:", "if False:", "tests/test_training_recipe.py::early_stopping"),
    ("karpathy_rnn/training/trainer.py", "best = load_model(self._best_path, self.corpus.vocabulary)", "best = self.model", "tests/test_training_recipe.py::best_models"),
    ("karpathy_rnn/training/trainer.py", "learning_rate = learning_rate_at(config, self.epoch)", "learning_rate = config.learning_rate", "tests/test_training_recipe.py::decays"),
    ("karpathy_rnn/training/trainer.py", 'RESUME_FIXED + ("corpus_sha256", "split")', 'RESUME_FIXED + ("split",)', "tests/test_training_recipe.py::another_corpus"),
    ("karpathy_rnn/training/trainer.py", 'RESUME_FIXED + ("corpus_sha256", "split")', 'RESUME_FIXED + ("corpus_sha256",)', "tests/test_training_recipe.py::another_corpus"),
    ("karpathy_rnn/layers/base.py", "self.seed_generator = (keras.random.SeedGenerator(seed)", "self.seed_generator = (keras.random.SeedGenerator(None)", "tests/test_layers_keras.py::dropout_only"),
    ("karpathy_rnn/training/trainer.py", 'return loss, norm, flat_states(out["states"])', 'return loss, norm, {k: tf.reverse(v, [0]) for k, v in flat_states(out["states"]).items()}', "tests/test_train.py::state_is_carried"),
    ("karpathy_rnn/training/trainer.py", "return {name: self._distribute(variable.read_value()) for name", "return {name: self._distribute(variable.read_value()[::-1]) for name", "tests/test_train.py::resumed_run_ends_with_the_same_weights"),
    ("karpathy_rnn/training/trainer.py", "fused_xla=config.xla, dtype=policy)", "fused_xla=True, dtype=policy)", "tests/test_training_recipe.py::no_xla"),
    ("karpathy_rnn/layers/lstm.py", "mask, jit=self.fused_jit)))", "mask, jit=True)))", "tests/test_training_recipe.py::no_xla"),
    ("tb_plugin/static/common.js", "span.textContent = character === '\\n' ? NEWLINE_MARK + '\\n' : character === '\\r' ? '' : character;", "span.innerHTML = character === '\\n' ? NEWLINE_MARK + '\\n' : character === '\\r' ? '' : character;", "tests/test_plugin_static.py::assigns_html"),
    ("tb_plugin/static/views/colored_text.js", "readout.textContent = `Character ${formatCount(index + 1)}", "readout.innerHTML = `Character ${formatCount(index + 1)}", "tests/test_plugin_browser.py::hostile_names"),
    ("tb_plugin/static/views/colored_text.js", "readout.textContent = `Hover a character to see its value (${data.layer}", "readout.innerHTML = `Hover a character to see its value (${data.layer}", "tests/test_plugin_browser.py::hostile_names"),
    ("tb_plugin/static/views/saturation.js", "cx: x(right), cy: y(left)", "cx: x(left), cy: y(right)", "tests/test_plugin_browser.py::saturation_points"),
    ("tb_plugin/static/views/saturation.js", "layers.indexOf(layer.layer)", "layers.indexOf(layer)", "tests/test_plugin_browser.py::saturation_points"),
    ("tb_plugin/static/views/oracle.js", "${share > 0.5 ? 1 : 0} 0 `", "${share > 0.5 ? 1 : 0} 1 `", "tests/test_plugin_browser.py::oracle_pies"),
    ("tb_plugin/static/views/oracle.js", "return [-radius * Math.sin(angle), -radius * Math.cos(angle)];", "return [radius * Math.sin(angle), -radius * Math.cos(angle)];", "tests/test_plugin_browser.py::oracle_pies"),
    ("tb_plugin/static/index.js", "return this.index.runs.filter((r) => keep(r.run));", "return this.index.runs;", "tests/test_plugin_browser.py::run_filter"),
    ("tb_plugin/static/index.js", "if (box.checked) this.checked.add(r.run); else this.checked.delete(r.run);", "this.checked.add(r.run);", "tests/test_plugin_browser.py::run_filter"),
    ("tb_plugin/static/views/colored_text.js", "change: () => go(Math.floor((Number(jump.value) || 0) / state.limit) * state.limit)", "change: () => go(0)", "tests/test_plugin_browser.py::pages_and_jumps"),
    ("tb_plugin/static/views/colored_text.js", "go(Math.floor((Number(jump.value) || 0) / state.limit) * state.limit)", "go(Math.floor((Number(jump.value) || 0) / state.limit))", "tests/test_plugin_browser.py::pages_and_jumps"),
    ("tb_plugin/reader.py", "if cached and time.monotonic() - cached[0] < self._index_seconds:", "if False:", "tests/test_plugin_routes.py::two_seconds"),
    ("tb_plugin/reader.py", "INDEX_SECONDS = 2.0 ", "INDEX_SECONDS = 5.0 ", "tests/test_plugin_routes.py::two_seconds"),
    # issue 19: section 4.3's analyses (analysis/longrange.py)
    ("karpathy_rnn/analysis/longrange.py", "return np.asarray(correct, np.float64) < below", "return np.asarray(correct, np.float64) <= below", "tests/test_analysis_longrange.py::correct_probability"),
    ("karpathy_rnn/analysis/longrange.py", "code = (stacked.astype(np.int64) << np.arange(len(names))[:, None]).sum(axis=0)", "code = stacked.astype(np.int64).sum(axis=0)", "tests/test_analysis_longrange.py::seven_regions"),
    ("karpathy_rnn/analysis/longrange.py", "return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts", "return np.where(counts > 0, sums / max(len(targets), 1), np.nan), counts", "tests/test_analysis_longrange.py::who_leads"),
    ("karpathy_rnn/analysis/longrange.py", "order = present[np.argsort(-difference[present], kind=\"stable\")]", "order = present[np.argsort(difference[present], kind=\"stable\")]", "tests/test_analysis_longrange.py::who_leads"),
    ("karpathy_rnn/analysis/longrange.py", "code = ~(comment | string)", "code = ~comment", "tests/test_analysis_longrange.py::closing_braces"),
    ("karpathy_rnn/analysis/longrange.py", "distances.append(position - stack.pop())", "distances.append(position - stack.pop(0))", "tests/test_analysis_longrange.py::closing_braces"),
    ("karpathy_rnn/analysis/longrange.py", "bucket = (distances - 1) // width", "bucket = distances // width", "tests/test_analysis_longrange.py::bins_of_twenty"),
    ("karpathy_rnn/analysis/longrange.py", "out[start:start + len(a)] = ((a - b) * (np.log(a) - np.log(b))).sum(axis=1)", "out[start:start + len(a)] = (a * (np.log(a) - np.log(b))).sum(axis=1)", "tests/test_analysis_longrange.py::symmetric_kl"),
    ("karpathy_rnn/analysis/longrange.py", "block[np.arange(len(block)), targets[start:start + len(block)]]", "block[np.arange(len(block)), targets[:len(block)]]", "tests/test_analysis_longrange.py::correct_probability"),
    ("karpathy_rnn/analysis/longrange.py", "if other.length != first.length or other.text != first.text:", "if other.length != first.length:", "tests/test_analysis_longrange.py::different_texts"),
    ("karpathy_rnn/data/download.py", "if size is not None and done != size:", "if False:", "tests/test_download.py::checked_by_its_size"),
    ("karpathy_rnn/data/locate.py", "                                 size=spec.file_bytes)", "                                 size=None)",
     "tests/test_download.py::papers_kernel"),
    ("karpathy_rnn/plots.py", "bits = sum(1 << names.index(name) for name in key)", "bits = sum(1 << (2 - names.index(name)) for name in key)", "tests/test_analysis_longrange.py::figure4"),
    ("karpathy_rnn/plots.py", "ax.bar(x + (column - 0.5) * 0.4, values[:, column],", "ax.bar(x + (column - 0.5) * 0.4, values[:, 1 - column],", "tests/test_analysis_longrange.py::figure4"),
    ("karpathy_rnn/plots.py", "tick.set_parse_math(False)", "pass", "tests/test_analysis_longrange.py::figure4"),
    ("karpathy_rnn/plots.py", "centres = np.asarray(starts) + (width - 1) / 2", "centres = np.asarray(starts)", "tests/test_analysis_longrange.py::figure4"),
    ("karpathy_rnn/baselines/kenlm_build.py", "if not os.path.isfile(os.path.join(folder, BIN_MARKER)) or", "if False and", "tests/test_kenlm_build.py::names_the_command"),
    ("karpathy_rnn/baselines/kenlm_build.py", "raise KRNNError(f\"{' and '.join(missing_tools())} not found; on Debian install the build dependencies \"\n                        f\"with: sudo apt-get install {APT_PACKAGES}\")", "raise KRNNError(f\"{' and '.join(missing_tools())} not found\")", "tests/test_kenlm_build.py::debian_packages"),
    ("karpathy_rnn/baselines/ngram.py", "before = text[max(0, start - context):start]", "before = text[start:start]", "tests/test_ngram.py::back_off_rule"),
    ("karpathy_rnn/baselines/ngram.py", "tokens(before + piece), bos=False, eos=False)", "tokens(before + piece), bos=True, eos=False)", "tests/test_ngram.py::back_off_rule"),
    ("karpathy_rnn/baselines/ngram.py", "LN10 = math.log(10.0)", "LN10 = 1.0", "tests/test_ngram.py::back_off_rule"),
    ("karpathy_rnn/baselines/ngram.py", "return \" \".join(f\"c{code:x}\" for code in map(ord, text))", "return \" \".join(f\"c{code}\" for code in map(ord, text))", "tests/test_ngram.py::one_per_character"),
    ("karpathy_rnn/baselines/ngram.py", "if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_ORDER - 1:", "if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_ORDER:", "tests/test_ngram.py::out_of_range"),
    ("karpathy_rnn/cli.py", "orders += list(range(int(low), int(high or low) + 1))", "orders += list(range(int(low), int(high or low)))", "tests/test_ngram.py::ngram_script"),
    ("karpathy_rnn/baselines/paper.py", "PAPER_CORPUS = {\"linux_kernel_paper\": \"linux_kernel\"}", "PAPER_CORPUS = {}", "tests/test_ngram.py::paper_numbers"),
    ("karpathy_rnn/analysis/trace.py", "return None if self.distributions else self._array(\"target_probabilities\")", "return None", "tests/test_analysis_longrange.py::probabilities_only"),
    ("karpathy_rnn/analysis/trace.py", "if not self.distributions:\n            raise KRNNError(", "if False:\n            raise KRNNError(", "tests/test_analysis_longrange.py::probabilities_only"),
    ('karpathy_rnn/layers/one_hot_dense.py', 'rows = ops.cast(ids, "int32") + ops.arange(self.window, dtype="int32") * self.vocabulary_size', 'rows = ops.cast(ids, "int32") + ops.arange(self.window, dtype="int32")[::-1] * self.vocabulary_size', 'tests/test_nn.py::one_hot_dense'),
    ('karpathy_rnn/baselines/nn.py', 'offsets = tf.range(-n, 0, dtype=tf.int64)', 'offsets = tf.range(-n + 1, 1, dtype=tf.int64)', 'tests/test_nn.py::windows'),
    ('karpathy_rnn/baselines/nn.py', 'windows = np.lib.stride_tricks.sliding_window_view(stream[start + offset - n:stop + offset - 1], n)', 'windows = np.lib.stride_tricks.sliding_window_view(stream[start + offset - n + 1:stop + offset], n)', 'tests/test_nn.py::split_distributions'),
    ('karpathy_rnn/baselines/nn.py', 'before = np.asarray(before, np.int32)[len(before) - min(n, len(before)):]', 'before = np.asarray(before, np.int32)[:min(n, len(before))]', 'tests/test_nn.py::with_context'),
    ('karpathy_rnn/baselines/nn.py', 'clipvalue=clip or None', 'clipvalue=None', 'tests/test_nn.py::recipe'),
    ('scripts/nn.py', 'hidden = min(tried, key=lambda h: tried[h]["val_loss_nats"])', 'hidden = max(tried, key=lambda h: tried[h]["val_loss_nats"])', 'tests/test_nn.py::nn_script'),
    ('karpathy_rnn/training/compare.py', 'out[name] = (kl, float(nn_loss - model_loss))', 'out[name] = (kl, float(model_loss - nn_loss))', 'tests/test_compare_nn.py::by_hand'),
    ('karpathy_rnn/training/compare.py', 'return step <= epochs * steps_per_epoch and step % every == 0', 'return step < epochs * steps_per_epoch and step % every == 0', 'tests/test_compare_nn.py::schedule'),
    ('karpathy_rnn/training/compare.py', 'self.ids = corpus.scoring_ids("test")[:self.characters + 1]', 'self.ids = corpus.split_ids("test")[:self.characters + 1]', 'tests/test_compare_nn.py::by_hand or run_logs'),
    ('karpathy_rnn/training/compare.py', 'kept = rows[:1] + [row for row in rows[1:] if int(row[0]) <= step]', 'kept = rows[:1] + [row for row in rows[1:] if int(row[0]) < step]', 'tests/test_compare_nn.py::dropped'),
    ('karpathy_rnn/analysis/longrange.py', '"means": [None if not count else float(columns[name][1][b]) for name in names]}', '"means": [None if not count else float(columns[names[0]][1][b]) for name in names]}', 'tests/test_analyze_longrange.py::agree'),
    ('karpathy_rnn/analysis/longrange.py', 'leaders = largest_advantages(mean_a, mean_b, top)', 'leaders = largest_advantages(mean_b, mean_a, top)', 'tests/test_analyze_longrange.py::agree'),
    ('scripts/analyze.py', 'correct[name][:shown] - correct[long_ngram.name][:shown]', 'correct[long_ngram.name][:shown] - correct[name][:shown]', 'tests/test_analyze_longrange.py::agree'),
    ('karpathy_rnn/baselines/runs.py', 'if kind == "nn" and not os.path.isfile(os.path.join(path, "best.keras")):', 'if False:', 'tests/test_analyze_longrange.py::bad_input'),
    ('karpathy_rnn/analysis/longrange.py', 'columns = {name: bucket_means(distances, np.asarray(correct[name], np.float64)[closes], width)', 'columns = {name: bucket_means(distances, np.asarray(correct[name], np.float64)[closes - 1], width)', 'tests/test_analysis_longrange.py::studies'),
    ('tb_plugin/static/views/brace.js', 'const mean = bucket.count ? bucket.means[m] : null;', 'const mean = bucket.count ? bucket.means[1 - m] : null;', 'tests/test_plugin_browser.py::brace_chart'),
    ('tb_plugin/static/views/characters.js', 'coloredTextBlocks(characters, data.difference, 0, true)', 'coloredTextBlocks(characters, data.difference.map((d) => -d), 0, true)', 'tests/test_plugin_browser.py::characters_view_colours'),
    ('tb_plugin/static/views/characters.js', 'const row = data.leaders[side][rank];', 'const row = data.leaders[0][0];', 'tests/test_plugin_browser.py::characters_view_colours'),
    ('tb_plugin/static/views/characters.js', "el('span', {class: 'krnn-leader-label'}, row.label),", "Object.assign(el('span', {class: 'krnn-leader-label'}), {innerHTML: row.label}),", 'tests/test_plugin_static.py::assigns_html'),
    ('karpathy_rnn/summary_schema.py', '_PROBABILITY = number(0, 1)', '_PROBABILITY = number(0, 1.5)', 'tests/test_plugin_routes.py::refuse_malformed'),
    # issue 20: the oracles (section 4.4), model agreement (Figure 1 right) and their commands
    ('karpathy_rnn/analysis/oracles.py', '(ngram_correct > NGRAM_CORRECT_ABOVE).any(axis=0)', '(ngram_correct >= NGRAM_CORRECT_ABOVE).any(axis=0)', 'tests/test_analysis_oracles.py::ngram_oracle'),
    ('karpathy_rnn/analysis/oracles.py', 'fixed = later & (char_distance > 0) & (char_distance <= n)', 'fixed = in_word & (char_distance > 0) & (char_distance <= n)', 'tests/test_analysis_oracles.py::memory_oracle_removes'),
    ('karpathy_rnn/analysis/oracles.py', 'found = text.rfind(text[start:end], max(0, start - longest), start)', 'found = text.rfind(text[start:end], max(0, start - longest), end)', 'tests/test_analysis_oracles.py::not_the_word_itself'),
    ('karpathy_rnn/analysis/oracles.py', 'in_word & (char_count <= t)', 'in_word & (char_count < t)', 'tests/test_analysis_oracles.py::rare_words'),
    ('karpathy_rnn/analysis/oracles.py', 'follows[1:] = _in_set(text, characters)[:-1]', 'follows[:-1] = _in_set(text, characters)[1:]', 'tests/test_analysis_oracles.py::word_model'),
    ('karpathy_rnn/analysis/oracles.py', 'unicodedata.category(chr(c)).startswith("P")', 'unicodedata.category(chr(c)).startswith("S")', 'tests/test_analysis_oracles.py::word_model'),
    ('karpathy_rnn/analysis/oracles.py', '        left &= ~removed\n', '', 'tests/test_analysis_oracles.py::first_oracle'),
    ('karpathy_rnn/analysis/oracles.py', 'correct + b >= ERROR_BELOW', 'correct + b > ERROR_BELOW', 'tests/test_analysis_oracles.py::boost'),
    ('karpathy_rnn/analysis/oracles.py', 'WORD = re.compile(r"[^\\W_]+(?:[\'’][^\\W_]+)*")', 'WORD = re.compile(r"[^\\W_]+")', 'tests/test_analysis_oracles.py::words_are_runs'),
    ('karpathy_rnn/analysis/oracles.py', '"extra": small_counts.get(name, 0) - large_counts.get(name, 0)', '"extra": large_counts.get(name, 0) - small_counts.get(name, 0)', 'tests/test_analysis_oracles.py::extra_errors'),
    ('karpathy_rnn/analysis/oracles.py', 'inside = errors[(errors >= start) & (errors < end)] - start', 'inside = errors[(errors >= start) & (errors < end)] - start - 1', 'tests/test_analysis_oracles.py::examples_highlight'),
    ('karpathy_rnn/analysis/agreement.py', 'np.mean(predictions[i] == predictions[j])', 'np.mean(predictions[i] == predictions[i - 1])', 'tests/test_analysis_agreement.py::fraction'),
    ('karpathy_rnn/analysis/agreement.py', 'distance = np.clip(1.0 - matrix, 0.0, None)', 'distance = np.clip(matrix, 0.0, None)', 'tests/test_analysis_agreement.py::together'),
    ('scripts/analyze.py', 'missing = [n for n in oracles.NGRAM_ORDERS if n not in ngrams]', 'missing = []', 'tests/test_analyze_oracles.py::bad_input'),
    ('tb_plugin/static/views/oracle.js', 'const characters = Array.from(fragment.text);', "const characters = fragment.text.split('');", 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/views/oracle.js', 'end = repeats.get(i);', 'end = repeats.get(i) - 1;', 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/views/oracle.js', 'replace(examples, exampleList(data.slices[index], colors[index]));', 'replace(examples, exampleList(data.slices[0], colors[0]));', 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/views/oracle.js', "node.classList.toggle('krnn-selected', on);", "node.classList.toggle('krnn-selected', true);", 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/views/oracle.js', '    if (plain) box.append(plain);', "    if (plain) box.insertAdjacentHTML('beforeend', plain);", 'tests/test_plugin_static.py::assigns_html'),
    ('tb_plugin/static/views/oracle.js', '    if (plain) box.append(plain);', "    if (plain) box.insertAdjacentHTML('beforeend', plain);", 'tests/test_plugin_browser.py::hostile_names'),
    ('tb_plugin/static/views/oracle.js', "data.model ? el('span', {class: 'krnn-model'}, `· ${data.model}`) : null),", 'null),', 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/views/agreement.js', 'const [px, py] = data.embedding[i];', 'const [py, px] = data.embedding[i];', 'tests/test_plugin_browser.py::agreement_view'),
    ('tb_plugin/static/views/agreement.js', 'const y = (value) => PLOT / 2 - (value - (yLow + yHigh) / 2) * scale;', 'const y = (value) => PLOT / 2 + (value - (yLow + yHigh) / 2) * scale;', 'tests/test_plugin_browser.py::agreement_view'),
    ('tb_plugin/static/views/agreement.js', '{x: left + j * cell, y: top + i * cell,', '{x: left + i * cell, y: top + j * cell,', 'tests/test_plugin_browser.py::agreement_view'),
    ('tb_plugin/static/views/agreement.js', 'return SHAPES[Math.min(Math.max(layers, 1), SHAPES.length) - 1];', 'return SHAPES[Math.min(Math.max(layers, 1), SHAPES.length - 1) - 1];', 'tests/test_plugin_browser.py::agreement_view'),
    ('tb_plugin/static/views/agreement.js', 'return UNIT_COLORS.get(String(unit).toLowerCase()) || OTHER_COLOR;', 'return {}[unit] || UNIT_COLORS.get(String(unit).toLowerCase()) || OTHER_COLOR;', 'tests/test_plugin_browser.py::names_like'),
    ('tb_plugin/static/views/agreement.js', 'RADII[0] + (RADII[1] - RADII[0]) * (root - low) / (high - low)', 'RADII[0] + (RADII[1] - RADII[0]) * (high - root) / (high - low)', 'tests/test_plugin_browser.py::agreement_view'),
    ('tb_plugin/static/views/agreement.js', "data.embedding.length ? scatter(data) : el('p',", "data.embedding.length >= 0 ? scatter(data) : el('p',", 'tests/test_plugin_browser.py::hostile_names'),
    ('karpathy_rnn/summary_schema.py', '            if abs(matrix[i][j] - matrix[j][i]) > SYMMETRY:', '            if False:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', 'matrix = _field(data, "matrix", items(items(_PROBABILITY, n, n), n, n), what,', 'matrix = _field(data, "matrix", items(items(number(), n, n), n, n), what,', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', '        if abs(matrix[i][i] - 1) > SYMMETRY:', '        if False:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', '    if len(embedding) != n and (embedding or n >= 3):', '    if len(embedding) > n:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', 'items(whole(0, length - 1), 0, length), at,', 'items(whole(0, length), 0, length), at,', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', 'items(increasing_pair(whole(0, length)), 0, length), at,', 'items(increasing_pair(whole(0, length + 1)), 0, length), at,', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', '        if index and piece["start"] < previous_end:', '        if False:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', '    if len(examples) > MAX_EXAMPLES:', '    if len(examples) > 2 * MAX_EXAMPLES:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', '    if not isinstance(fragments, list) or not 1 <= len(fragments) <= MAX_FRAGMENTS:', '    if not isinstance(fragments, list) or not 1 <= len(fragments) <= 2 * MAX_FRAGMENTS:', 'tests/test_plugin_routes.py::agreement_writers_refuse'),
    ('karpathy_rnn/summary_schema.py', 'checked["examples"] = _examples(piece.get("examples", []), where)', 'checked["examples"] = _examples(piece.get("examples"), where)', 'tests/test_render_and_summary.py::bodies_from_before'),
    ('karpathy_rnn/summary.py', '            checked["examples"] = _plain(s["examples"])', '            pass', 'tests/test_plugin_routes.py::oracle_and_cell_ranking_round_trip'),
    ('tb_plugin/plugin.py', 'for kind in ("text", "cell_ranking", "oracle", "brace", "characters", "agreement"):', 'for kind in ("text", "cell_ranking", "oracle", "brace", "characters"):', 'tests/test_plugin_routes.py::runs_lists_each_run'),
    # issue 21: the autocomplete task, connectivity and its view
    ('karpathy_rnn/data/autocomplete.py', 'widths = np.asarray(word_lengths, np.int64) + 1', 'widths = np.asarray(word_lengths, np.int64) + 0', 'tests/test_autocomplete_data.py::whole_words'),
    ('karpathy_rnn/data/autocomplete.py', 'return (self.targets > UNKNOWN).astype(np.float32)', 'return (self.targets >= UNKNOWN).astype(np.float32)', 'tests/test_autocomplete_data.py::hand_made'),
    ('karpathy_rnn/data/autocomplete.py', 'order = np.lexsort((first, -counts))[:size]', 'order = np.lexsort((-first, -counts))[:size]', 'tests/test_autocomplete_data.py::ties'),
    ('karpathy_rnn/data/autocomplete.py', 'seen[row, column] = np.arange(len(word_of_char)) - char_start[word_of_char - first_word]', 'seen[row, column] = np.arange(len(word_of_char)) - char_start[word_of_char - first_word] - 1', 'tests/test_autocomplete_data.py::hand_made'),
    ('karpathy_rnn/data/autocomplete.py', '_DIGITS = str.maketrans({str(d): f" {word} "', '_DIGITS = str.maketrans({str(d): f"{word}"', 'tests/test_autocomplete_data.py::text8s_rule'),
    ('karpathy_rnn/data/autocomplete.py', 'train_end, val_end = split_boundaries(len(bounds) - 1, split)', 'train_end, val_end = split_boundaries(len(bounds), split)', 'tests/test_autocomplete_data.py::hand_made or in_order'),
    ('karpathy_rnn/data/autocomplete_streams.py', 'tf.cast(targets > UNKNOWN, tf.float32)', 'tf.cast(targets > 0, tf.float32)', 'tests/test_autocomplete_data.py::tf_data'),
    ('karpathy_rnn/data/download.py', '    os.remove(archive)\n', '', 'tests/test_download.py::text8'),
    ('karpathy_rnn/analysis/autocomplete.py', 'above = (logits > chosen).sum(-1) + ((logits == chosen).sum(-1) - 1)', 'above = (logits > chosen).sum(-1)', 'tests/test_autocomplete_data.py::ranks'),
    ('karpathy_rnn/analysis/autocomplete.py', 'scored = np.asarray(weights).ravel() > 0', 'scored = np.asarray(weights).ravel() >= 0', 'tests/test_autocomplete_data.py::ranks'),
    ('karpathy_rnn/analysis/connectivity.py', 'weights = tf.transpose(tf.gather(self.head.kernel, targets, axis=1))', 'weights = tf.transpose(tf.gather(self.head.kernel, targets * 0, axis=1))', 'tests/test_connectivity.py::toy'),
    ('karpathy_rnn/analysis/connectivity.py', 'return tf.norm(tape.gradient(logits, encoded), axis=-1)', 'return tf.reduce_sum(tape.gradient(logits, encoded), axis=-1)', 'tests/test_connectivity.py::toy'),
    ('karpathy_rnn/analysis/connectivity.py', 'out[rows, :min(length, len(ids))] = norms.numpy()[:, :len(ids)]', 'out[rows, :min(length, len(ids))] = norms.numpy()[::-1, :len(ids)]', 'tests/test_connectivity.py::toy or batched'),
    ('karpathy_rnn/analysis/connectivity_study.py', 'shift = 1 if first.task == NEXT_CHARACTER else 0', 'shift = 0', 'tests/test_connectivity.py::char_lm_study'),
    ('karpathy_rnn/analysis/connectivity_study.py', "followed = np.where(targets[rows] >= 0, targets[rows], best[outputs, 0])", "followed = np.where(targets[rows] >= 0, targets[rows], best[outputs, 1])", 'tests/test_connectivity.py::autocomplete_study'),
    ('karpathy_rnn/analysis/connectivity_study.py', 'values.append(sum(row[:start]) / sum(row))', 'values.append(sum(row[:start + 1]) / sum(row))', 'tests/test_connectivity.py::share'),
    ('karpathy_rnn/training/autocomplete.py', "loss_sum += float((losses.astype(np.float64) * weights[rows]).sum())", "loss_sum += float((losses.astype(np.float64)).sum())", 'tests/test_autocomplete_script.py::keras_masked_mean'),
    ('karpathy_rnn/training/autocomplete.py', 'reduction="mean_with_sample_weight"', 'reduction="sum_over_batch_size"', 'tests/test_autocomplete_script.py::keras_masked_mean'),
    ('karpathy_rnn/training/autocomplete.py', '            super().on_epoch_end(epoch, logs)\n            self._save_model()\n', '            super().on_epoch_end(epoch, logs)\n', 'tests/test_autocomplete_script.py::table_and_logs'),
    ('karpathy_rnn/training/autocomplete.py', '                drop_replayed_events(run_dir, self.step, True)\n', '                pass\n', 'tests/test_autocomplete_script.py::table_and_logs'),
    ('tb_plugin/static/views/connectivity.js', 'const most = row.reduce((a, b) => Math.max(a, b), 0);', 'const most = row.reduce((a, b) => a + b, 0);', 'tests/test_plugin_browser.py::connectivity_hover'),
    ('tb_plugin/static/views/connectivity.js', 'page.shaded[m] = row.length;', 'page.shaded[m] = 0;', 'tests/test_plugin_browser.py::connectivity_hover'),
    ('tb_plugin/static/views/connectivity.js', 'const row = rows[m];', 'const row = rows[Math.max(m - 1, 0)];', 'tests/test_plugin_browser.py::connectivity_hover'),
    ('tb_plugin/static/views/connectivity.js', 'if (j !== null && !page.pinned && j !== page.selected) choose(j);', 'if (j !== null && j !== page.selected) choose(j);', 'tests/test_plugin_browser.py::connectivity_hover'),
    ('tb_plugin/static/views/connectivity.js', 'const correct = target !== null && s.label === target;', 'const correct = rank === 0;', 'tests/test_plugin_browser.py::connectivity_hover'),
    ('tb_plugin/static/views/connectivity.js', 'click: () => show(sources[at + 1].index)}', 'click: () => show(sources[at].index)}', 'tests/test_plugin_browser.py::connectivity_switches'),
    ('karpathy_rnn/summary_schema.py', '    if len(row) > longest:\n', '    if False:\n', 'tests/test_plugin_routes.py::connectivity_writer_refuses'),
    ('karpathy_rnn/summary_schema.py', '_SUGGESTION = {"label": string(True), "p": _PROBABILITY}', '_SUGGESTION = {"label": string(True), "p": number(0)}', 'tests/test_plugin_routes.py::connectivity_writer_refuses'),
    ('karpathy_rnn/summary_schema.py', 'extra = 1 if task == "autocomplete" else 0', 'extra = 1', 'tests/test_plugin_routes.py::connectivity_writer_refuses'),
    ('tb_plugin/plugin.py', 'self._reader.at_step(ctx, experiment, texts[index], _integer(request, "step"))', 'self._reader.at_step(ctx, experiment, texts[min(texts)], _integer(request, "step"))', 'tests/test_plugin_routes.py::connectivity_round_trips'),
    ('karpathy_rnn/analysis/pattern_search.py', 'chosen = span[1 if start > 0 else 0:].min(axis=0) >= threshold', 'chosen = span[1 if start > 0 else 0:].max(axis=0) >= threshold', 'tests/test_pattern_search.py::selected_cells'),
    ('karpathy_rnn/analysis/pattern_search.py', 'chosen &= span[0] < threshold', 'chosen &= span[0] <= 1.0', 'tests/test_pattern_search.py::selected_cells'),
    ('karpathy_rnn/analysis/pattern_search.py', '(sizes <= 2 * length) & ~((starts < end) & (ends > start))', '(sizes <= 2 * length)', 'tests/test_pattern_search.py::matches'),
    ('karpathy_rnn/analysis/pattern_search.py', 'keep = (sizes * 2 >= length)', 'keep = (sizes >= length)', 'tests/test_pattern_search.py::shorter_or_longer'),
    ('karpathy_rnn/analysis/pattern_search.py', 'scores = shared / union *', 'scores = 1.0 *', 'tests/test_pattern_search.py::matches'),
    ('karpathy_rnn/analysis/pattern_search.py', "    switching &= (values.take(np.maximum(starts - 1, 0)) < threshold) | (starts == 0)[:, None]\n", '', 'tests/test_pattern_search.py::reference'),
    ('karpathy_rnn/analysis/pattern_search.py', 'order = np.lexsort((starts, -scores))[:limit]', 'order = np.lexsort((starts, scores))[:limit]', 'tests/test_pattern_search.py::matches'),
    ('karpathy_rnn/analysis/pattern_search.py', 'rows = rows[values.take(rows, int(cell)) >= threshold]', 'rows = rows', 'tests/test_pattern_search.py::reference'),
    ('karpathy_rnn/analysis/pattern_search.py', 'local = rows[low:high] - offset', 'local = rows[low:high] - low', 'tests/test_pattern_search.py::row_blocks'),
    ('karpathy_rnn/analysis/pattern_search.py', 'rows = np.flatnonzero(values.take(np.arange(len(values)), int(cells[0])) >= threshold)', 'rows = np.flatnonzero(values.take(np.arange(len(values)), int(cells[0])).astype(np.float16) >= np.float16(threshold))', 'tests/test_pattern_search.py::float16_steps'),
    ('karpathy_rnn/analysis/over_training.py', 'if entry["first_step"] is None and r is not None and abs(r) >= threshold:', 'if entry["first_step"] is None and r is not None and r >= threshold:', 'tests/test_over_training.py::emergence_takes'),
    ('karpathy_rnn/analysis/over_training.py', '    return top_cells(scores, top, min_abs_r=0.0)', '    return top_cells(scores, top)', 'tests/test_over_training.py::weak_features'),
    ('karpathy_rnn/training/history.py', 'dropped = [s for s in snapshots(run_dir) if s > step]', 'dropped = [s for s in snapshots(run_dir) if s >= step]', 'tests/test_over_training.py::history_files'),
    ('karpathy_rnn/training/trainer.py', 'if config.analyze_every and self.global_step % config.analyze_every == 0:', 'if config.analyze_every and self.global_step % config.analyze_every == 1:', 'tests/test_over_training.py::every_kept_step'),
    ('tb_plugin/plugin.py', '| {"cell": band_cell, "values": _finite(rows[:, band_cell])})', '| {"cell": band_cell, "values": _finite(rows[:, cell])})', 'tests/test_plugin_routes.py::bands'),
    ('tb_plugin/plugin.py', 'if entry["cell_ranking"] and len(entry["cell_ranking"]["steps"]) > 1:', 'if entry["cell_ranking"]:', 'tests/test_plugin_routes.py::training_steps'),
    ('tb_plugin/plugin.py', 'steps = {step for values in self._reader.read_many(ctx, experiment, saturation) for step, _ in values}', 'steps = {s.max_step for s in saturation}', 'tests/test_plugin_routes.py::training_steps'),
    ('tb_plugin/static/views/training.js', "'data-first-step': feature.first_step === null ? '' : feature.first_step}", "'data-first-step': feature.first_step === null ? '' : data.steps[0]}", 'tests/test_plugin_browser_training.py::first_steps_follow'),
    ('tb_plugin/static/views/training.js', 'if (point.r === null) { joined = false; continue; }', 'if (point.r === null) { continue; }', 'tests/test_plugin_browser_training.py::series_per_feature'),
    ('tb_plugin/static/views/training.js', 'const y = (value) => MARGIN.top + (1 - value) * inner.height;', 'const y = (value) => MARGIN.top + value * inner.height;', 'tests/test_plugin_browser_training.py::series_per_feature'),
    ('tb_plugin/static/views/training.js', 'cell: point.cell, name: cellState(run, point.layer)', 'cell: 0, name: cellState(run, point.layer)', 'tests/test_plugin_browser_training.py::best_cell_opens'),
    ('tb_plugin/static/views/saturation.js', 'scatter(gate, [layer], layers, run, points, SIDE_SIZE)', 'scatter(gate, gate.layers, layers, run, points, SIDE_SIZE)', 'tests/test_plugin_browser_training.py::side_by_side'),
    ('tb_plugin/static/views/saturation.js', "point.setAttribute('cx', scaleX(size)(right));", "point.setAttribute('cx', scaleX(size)(left));", 'tests/test_plugin_browser_training.py::play_advances'),
    ('tb_plugin/static/export.js', "const EXPORT_CSS = '.krnn-block { content-visibility: visible !important;", "const EXPORT_CSS = '.krnn-block { content-visibility: auto !important;", 'tests/test_plugin_export.py::colored_text_is_standalone'),
    ('tb_plugin/static/export.js', 'for (const node of copy.querySelectorAll(CHROME)) node.remove();', "for (const node of copy.querySelectorAll('script')) node.remove();", 'tests/test_plugin_export.py::saturation_is_standalone'),
    ('tb_plugin/static/export.js', 'const MAX_CANVAS_SIDE = 16384;', 'const MAX_CANVAS_SIDE = 65536;', 'tests/test_plugin_export.py::lowers_the_scale'),
    ('tb_plugin/static/export.js', "return text.replace(NOT_XML, '\\uFFFD');", 'return text;', 'tests/test_plugin_export.py::three_times'),
    ('tb_plugin/static/index.js', 'this.checked = new Set([run]);', 'this.checked.add(run);', 'tests/test_plugin_export.py::every_view_has_export_buttons'),
    ('tb_plugin/static/index.js', 'else for (const name of names) if (!this.seen.has(name)) this.checked.add(name);', 'else this.seen.clear();', 'tests/test_plugin_browser_training.py::appears_only_once'),
    ('tb_plugin/static/views/brace.js', "api('brace', {run: r.run, step: state.step})", "api('brace', {run: r.run})", 'tests/test_plugin_export.py::rejects_unknown'),
    ('tb_plugin/static/views/connectivity.js', 'for (const r of runs) chosen.set(r.run, Number(params.index));', 'for (const r of runs) chosen.set(r.run, 0);', 'tests/test_plugin_export.py::every_view_has_export_buttons'),
    ('tb_plugin/export_cli.py', 'prefix = "data:image/png;base64,"', 'prefix = "data:image/png,"', 'tests/test_plugin_export.py::export_cli_writes'),
    ('tb_plugin/static/views/colored_text.js', 'const value = bands[k].values[i];', 'const value = bands[k].values[i + 1];', 'tests/test_plugin_browser_search.py::bands_stripe'),
    ('tb_plugin/static/views/colored_text.js', 'start: range.start, end: range.end, threshold: level', 'start: range.start, end: range.end + 1, threshold: level', 'tests/test_plugin_browser_search.py::find_similar'),
    ('tb_plugin/static/views/colored_text.js', 'if (count > MAX_SELECTION) {', 'if (count > MAX_SELECTION + 1000) {', 'tests/test_plugin_browser_search.py::checks_the_selection'),
    ('tb_plugin/static/views/colored_text.js', 'return steps[steps.indexOf(state.step) + 1];', 'return steps[steps.indexOf(state.step) + 2];', 'tests/test_plugin_browser_search.py::play_steps'),
    ('tb_plugin/static/views/colored_text.js', 'state.offset = end <= aligned + state.limit ? aligned : start;', 'state.offset = 0;', 'tests/test_plugin_browser_search.py::find_similar'),
    ('tb_plugin/plugin.py', '        self._prefetch(ctx, experiment, run, series, blocks, step)\n', '', 'tests/test_plugin_routes.py::whole_column'),
    ('tb_plugin/plugin.py', 'if state != shown and size > budget:', 'if state != shown:', 'tests/test_plugin_routes.py::whole_column'),
    ('tb_plugin/plugin.py', 'if state != shown and size > budget:', 'if False:', 'tests/test_plugin_routes.py::whole_column'),
    ('tb_plugin/static/common.js', 'const v = Math.max(-1, Math.min(1, ((value - low) * 2) / (high - low) - 1));', 'const v = Math.max(-1, Math.min(1, value));', 'tests/test_plugin_browser_trust.py::gates_are_coloured'),
    ('karpathy_rnn/render.py', 'return (np.asarray(values, np.float64) - low) * (2.0 / (high - low)) - 1.0', 'return np.asarray(values, np.float64)', 'tests/test_render_and_summary.py::gates_are_coloured'),
    ('karpathy_rnn/analysis/cells.py', 'return GATE_RANGE if base in SATURATION_GATES.get(unit, ()) else STATE_RANGE', 'return STATE_RANGE', 'tests/test_render_and_summary.py::gates_are_coloured'),
    ('karpathy_rnn/analysis/publish.py', 'hits = np.flatnonzero(on[:stored])', 'hits = np.flatnonzero(on)', 'tests/test_render_and_summary.py::ranking_coverage'),
    ('tb_plugin/static/views/colored_text.js', 'offset: Number.isInteger(first) ? Math.floor(first / state.limit) * state.limit : 0};', 'offset: 0};', 'tests/test_plugin_browser_trust.py::strongest_cell'),
    ('tb_plugin/static/views/colored_text.js', '(!best || Math.abs(cell.r) > Math.abs(best.cell.r))', '!best', 'tests/test_plugin_browser_trust.py::strongest_cell'),
    ('tb_plugin/plugin.py', '            hints.setdefault(summary.PLUGIN_NAME, DOWNSAMPLE)\n', '            pass\n', 'tests/test_plugin_browser_trust.py::keeps_every_analysed_step'),
    ('tb_plugin/plugin.py', '                if block.content[field] != blocks[0].content[field]:', '                if False:', 'tests/test_plugin_routes.py::disagree'),
    ('tb_plugin/plugin.py', '"rows": [model["values"].row(position) for model in value["models"]]', '"rows": [model["values"].row(0) for model in value["models"]]', 'tests/test_plugin_routes.py::connectivity_round_trips'),
    ('karpathy_rnn/analysis/over_training.py', 'sorted(strongest, key=lambda f: -strongest[f])[:most]', 'list(strongest)[:most]', 'tests/test_over_training.py::strongest_cell_per_step'),
    ('tb_plugin/static/link.js', '  if (hash !== win.location.hash) {', '  if (false) {', 'tests/test_plugin_browser_trust.py::a_link_opens'),
    ('tb_plugin/static/index.js', "'krnn-dark', Boolean(hostBody && hostBody.classList.contains('dark-mode')));", "'krnn-dark', false);", 'tests/test_plugin_browser_trust.py::dark_setting'),
    ('tb_plugin/static/common.js', "    next.setAttribute('tabindex', '0');\n    next.focus();\n", "    next.setAttribute('tabindex', '0');\n", 'tests/test_plugin_browser_trust.py::keyboard'),
    ('tb_plugin/static/views/colored_text.js', '      resultsFor = null;\n      search.reset();\n', '      resultsFor = null;\n', 'tests/test_plugin_browser_trust.py::smaller_findings'),
    ('tb_plugin/static/common.js', 'if (!training || !(training.written > training.steps.length)) return null;', 'if (!training || true) return null;', 'tests/test_plugin_browser_trust.py::lower_samples_per_plugin'),
    ('tb_plugin/static/views/oracle.js', "    if (examples.isConnected) examples.scrollIntoView({block: 'nearest'});     // below a long table: into view\n", '', 'tests/test_plugin_browser.py::oracle_slice_or_row'),
    ('tb_plugin/static/index.js', 'return RUN_COLORS[(this.colors.get(run) ?? 0) % RUN_COLORS.length];', 'return RUN_COLORS[Math.max(this.index.runs.findIndex((r) => r.run === run), 0) % RUN_COLORS.length];', 'tests/test_plugin_browser_trust.py::keeps_its_colour'),
    ('karpathy_rnn/training/trainer.py', '        if self.config.resume:                            # nothing to resume', '        if False:                            # nothing to resume', 'tests/test_train.py::does_not_exist'),
    ('karpathy_rnn/layers/conversion.py', 'merge_mode=layer.merge_mode, name=layer.name)', 'name=layer.name)', 'tests/test_layers_conversion.py::merge_mode'),
    ('scripts/grid.py', 'resume=holds_run(run_dir))', 'resume=True)', 'tests/test_grid_script.py::trains_skips_and_resumes'),
    ('tb_plugin/reader.py', 'parts = [many[k::calls] for k in range(calls)]', 'parts = [many[k::calls + 1] for k in range(calls)]', 'tests/test_plugin_routes.py::concurrent_calls'),
    ('tb_plugin/static/common.js', "step: given('step') ? Number(params.step) : null};", 'step: null};', 'tests/test_plugin_export.py::rejects_unknown'),
    # issue 32.2: refusals that config.json decides come before TensorFlow
    ('karpathy_rnn/training/trainer.py', "        self._refuse_unless_free_or_resumable(os.path.join(config.logdir, name))   # before TensorFlow: at once\n", '', 'tests/test_train.py::before_tensorflow'),
    ('scripts/sample.py', "    if config is not None:                       # a run's vocabulary decides the prime before the model loads", '    if False:', 'tests/test_sample_export.py::before_tensorflow'),
    ('scripts/analyze.py', "    if config is not None:                     # what the run's config.json decides, before TensorFlow loads", '    if False:', 'tests/test_analyze_script.py::before_tensorflow'),
    # issue 32.14: boundaries from both sides, several leaders, contents not lengths, nats without KenLM
    ('karpathy_rnn/analysis/oracles.py', 'errors = np.asarray(correct, np.float64) < ERROR_BELOW', 'errors = np.asarray(correct, np.float64) <= ERROR_BELOW', 'tests/test_analysis_oracles.py::exactly_one_half_is_not'),
    ('karpathy_rnn/analysis/oracles.py', 'fixed = later & (char_distance > 0) & (char_distance <= n)', 'fixed = later & (char_distance > 0) & (char_distance < n)', 'tests/test_analysis_oracles.py::memory_oracle_at_exactly'),
    ('karpathy_rnn/analysis/oracles.py', 'found = text.rfind(text[start:end], max(0, start - longest), start)', 'found = text.rfind(text[start:end], max(0, start - longest + 1), start)', 'tests/test_analysis_oracles.py::memory_oracle_at_exactly'),
    ('karpathy_rnn/analysis/longrange.py', 'a_leads = order[difference[order] > 0][:top]', 'a_leads = order[difference[order] >= 0][:top]', 'tests/test_analysis_longrange.py::ties_lead_for_neither'),
    ('karpathy_rnn/analysis/longrange.py', 'b_leads = order[::-1][difference[order[::-1]] < 0][:top]', 'b_leads = order[::-1][difference[order[::-1]] <= 0][:top]', 'tests/test_analysis_longrange.py::ties_lead_for_neither'),
    ('karpathy_rnn/analysis/longrange.py', 'b_leads = order[::-1][difference[order[::-1]] < 0][:top]', 'b_leads = order[difference[order] < 0][:top]', 'tests/test_analysis_longrange.py::ties_lead_for_neither'),
    ('karpathy_rnn/analysis/longrange.py', 'a_leads = order[difference[order] > 0][:top]', 'a_leads = order[::-1][difference[order[::-1]] > 0][:top]', 'tests/test_analysis_longrange.py::ties_lead_for_neither'),
    ('karpathy_rnn/analysis/longrange.py', 'near = distances <= longest', 'near = distances < longest', 'tests/test_analysis_longrange.py::longest_away'),
    ('karpathy_rnn/analysis/longrange.py', '"end": int(start) + width - 1', '"end": int(start) + width', 'tests/test_analysis_longrange.py::share_no_edge'),
    ('karpathy_rnn/analysis/pattern_search.py', 'if end - start > MAX_SELECTION:', 'if end - start >= MAX_SELECTION:', 'tests/test_pattern_search.py::exactly_max_selection'),
    ('karpathy_rnn/analysis/pattern_search.py', 'if start < 0 or end > length:', 'if start < 0 or end >= length:', 'tests/test_pattern_search.py::exactly_max_selection'),
    ('karpathy_rnn/analysis/pattern_search.py', 'chosen = span[1 if start > 0 else 0:].min(axis=0) >= threshold', 'chosen = span[1 if start > 0 else 0:].min(axis=0) > threshold', 'tests/test_pattern_search.py::exactly_at_the_threshold'),
    ('karpathy_rnn/analysis/pattern_search.py', 'rows = rows[values.take(rows, int(cell)) >= threshold]', 'rows = rows[values.take(rows, int(cell)) > threshold]', 'tests/test_pattern_search.py::exactly_at_the_threshold'),
    ('karpathy_rnn/analysis/pattern_search.py', 'switching &= (values.take(np.maximum(starts - 1, 0)) < threshold)', 'switching &= (values.take(np.maximum(starts - 1, 0)) <= threshold)', 'tests/test_pattern_search.py::exactly_at_the_threshold'),
    ('karpathy_rnn/analysis/pattern_search.py', 'keep = (sizes * 2 >= length)', 'keep = (sizes >= length // 2)', 'tests/test_pattern_search.py::odd_selection'),
    ('karpathy_rnn/analysis/connectivity_study.py', 'if other.labels != first.labels:', 'if len(other.labels) != len(first.labels):', 'tests/test_connectivity.py::one_size_but'),
    ('karpathy_rnn/baselines/ngram.py', 'return -np.asarray(log10_probabilities, np.float64) * LN10', 'return np.asarray(log10_probabilities, np.float64) * LN10', 'tests/test_ngram.py::nats_turn'),
    # issue 32.3 and 32.4: the ETA counts evaluations from the start; progress plain off a terminal, rate recent
    ('karpathy_rnn/training/progress.py', '        if len(self.evaluations) >= 2:', '        if self.evaluations:', 'tests/test_training_budget.py::progress_eta'),
    ('karpathy_rnn/training/progress.py', '            self.seconds_per_evaluation() * self.evaluations_left(global_step)', '            0.0', 'tests/test_training_budget.py::progress_eta'),
    ('karpathy_rnn/progress.py', 'while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW_SECONDS:', 'while False:', 'tests/test_work_progress.py::latest_work'),
    ('karpathy_rnn/progress.py', 'self.live = self.stream.isatty() if live is None else live', 'self.live = True if live is None else live', 'tests/test_work_progress.py::plain_line'),
    # issue 32.5: no warning of a best model that never was; the path given and the true reason
    ('karpathy_rnn/training/trainer.py', 'if not os.path.isfile(self._best_path) and math.isfinite(float(self.progress.best_val)):', 'if not os.path.isfile(self._best_path):', 'tests/test_train.py::no_missing_best'),
    ('karpathy_rnn/cli.py', 'if exc.errno == errno.ENOENT and existing is not None and os.path.isdir(existing):', 'if False:', 'tests/test_sample_export.py::true_reason'),
    ('scripts/export.py', 'writable_folder(args.out, "--out")', 'writable_folder(os.path.dirname(os.path.abspath(args.out)), "--out folder")', 'tests/test_sample_export.py::unwritable_out_is'),
    # issue 32.6 and 32.9: one line for each broken file; a long --text named for its command
    ('karpathy_rnn/analysis/trace.py', '        for name in self.array_names():       # a truncated or damaged file: one line now, not a traceback later', '        for name in []:', 'tests/test_analysis_trace.py::truncated_or_damaged'),
    ('karpathy_rnn/analysis/trace.py', 'if size < needed or not shape or shape[0] != self.length:', 'if size < needed:', 'tests/test_analysis_trace.py::another_length'),
    ('karpathy_rnn/baselines/nn.py', '        result = read_result(done)', '        result = json.load(open(done, encoding="utf-8"))', 'tests/test_nn.py::trained_twice'),
    ('karpathy_rnn/training/autocomplete.py', '    check_backup(os.path.join(run_dir, "backup"), log)\n', '', 'tests/test_autocomplete_script.py::broken_files'),
    ('karpathy_rnn/training/autocomplete.py', '    if all(os.path.isfile(path) for path in earlier) and backup_metadata_problem(earlier[1]) is None:', '    if False:', 'tests/test_autocomplete_script.py::backup_before'),
    ('karpathy_rnn/analysis/connectivity_study.py', '        model = load_model(model_path, fix=BEST_MODEL_FIX)', '        model = __import__("keras").models.load_model(model_path)', 'tests/test_autocomplete_script.py::broken_files'),
    ('scripts/autocomplete.py', '    if length > MAX_TEXT:', '    if False:', 'tests/test_autocomplete_script.py::broken_files'),
    # issue 32.12, 32.13 and 32.14: n in numeric order, best on validation, broken results.json, longrange without --nn
    ('karpathy_rnn/baselines/runs.py', 'for n in sorted(numbered):', 'for n in sorted(numbered, key=str):', 'tests/test_analyze_longrange.py::order_of_n'),
    ('karpathy_rnn/training/compare.py', 'return dict(sorted(traces.items(), key=_by_n))', 'return dict(sorted(traces.items()))', 'tests/test_compare_nn.py::order_of_n'),
    ('karpathy_rnn/training/compare.py', 'problem = (f"it is of the {split} split" if split != "test" else', 'problem = (f"it is of the {split} split" if False else', 'tests/test_compare_nn.py::val_split'),
    ('karpathy_rnn/baselines/runs.py', 'return min(runs.values(), key=lambda run: (run.val_loss, run.n))', 'return min(runs.values(), key=lambda run: (run.loss, run.n))', 'tests/test_analyze_longrange.py::chosen_on_validation or agree'),
    ('karpathy_rnn/baselines/runs.py', '    except (OSError, ValueError) as error:', '    except OSError as error:', 'tests/test_analyze_longrange.py::damaged'),
    ('karpathy_rnn/baselines/runs.py', 'if not raw.strip():', 'if False:', 'tests/test_analyze_longrange.py::damaged'),
    ('karpathy_rnn/baselines/runs.py', '        if orders is not None and n not in orders:', '        if False:', 'tests/test_analyze_longrange.py::order_of_n'),
    ('karpathy_rnn/baselines/runs.py', '            loss = _trace_loss(trace)', '            loss = 0.0', 'tests/test_analyze_longrange.py::chosen_on_validation'),
    ('karpathy_rnn/baselines/runs.py', '            val_loss = _trace_loss(os.path.join(path, "trace_val"))', '            val_loss = None', 'tests/test_analyze_longrange.py::chosen_on_validation'),
    ('scripts/analyze.py', 'baseline_runs(args.ngram, "ngram", corpus_name, args.split, orders=oracles.NGRAM_ORDERS)', 'baseline_runs(args.ngram, "ngram", corpus_name, args.split)', 'tests/test_analyze_oracles.py::two_models'),
    ('scripts/analyze.py', 'longrange.add_argument("--nn", help=', 'longrange.add_argument("--nn", required=True, help=', 'tests/test_analyze_longrange.py::without_nn'),
    ('scripts/analyze.py', 'best_ngram, long_ngram = best_run(ngrams), ngrams[max(ngrams)]', 'best_ngram, long_ngram = best_run(ngrams), ngrams[min(ngrams)]', 'tests/test_analyze_longrange.py::agree'),
    # issue 32.7: a failed or killed analysis over training leaves the earlier one whole
    ('karpathy_rnn/analysis/over_training.py', '    for path in steps.values():                 # every snapshot read once before anything is written\n        load_snapshot(model, path)\n', '', 'tests/test_over_training.py::earlier_one_whole'),
    ('karpathy_rnn/analysis/over_training.py', '    replace_events(staging, logdir or out, EVENTS_SUFFIX)\n', '', 'tests/test_over_training.py::every_kept_step'),
    ('karpathy_rnn/analysis/publish.py', '    for name in earlier:\n        os.remove(os.path.join(logdir, name))', '', 'tests/test_over_training.py::new_in_before'),
    # issue 32.10 and 32.15: masked models convert; the hover test waits for the drawing it reads
    ("karpathy_rnn/layers/conversion.py", "if isinstance(layer, keras.layers.Layer):", "if True:", "tests/test_layers_conversion.py::keeps_the_mask or readmes_embedding"),
    ("tb_plugin/static/views/colored_text.js", "span.title = `${value} (scale ${low} to ${high})`;", "span.title = `${value}`;", "tests/test_plugin_browser.py::colored_text_draws"),
    # issue 32.8: one writer per output everywhere
    ('karpathy_rnn/training/trainer.py', '            if not (finished and keep_lock):', '            if True:', 'tests/test_train.py::stays_locked'),
    ('scripts/nn.py', '"wait for it to end or stop it, or give other --orders or another --out") for n in orders]', '"wait for it to end or stop it, or give other --orders or another --out") for n in []]', 'tests/test_nn.py::one_writer'),
    ('karpathy_rnn/baselines/kenlm_build.py', '    with FolderLock(folder, "KenLM build", wait=True, say=say):', '    with open(os.devnull):', 'tests/test_kenlm_build.py::second_build_waits'),
    ('karpathy_rnn/analysis/over_training.py', '    lock = FolderLock(out, "analysis", ', '    lock = FolderLock(os.path.join(out, ".free"), "analysis", ', 'tests/test_over_training.py::folder_at_a_time'),
    ('karpathy_rnn/baselines/nn.py', '        if trained != wanted:', '        if False:', 'tests/test_nn.py::trained_twice'),
    # issue 32.14: the autocomplete vocabulary from train only; a killed run's sample at the checkpoint step dropped
    ('karpathy_rnn/data/autocomplete.py', 'vocabulary = word_vocabulary(tokens[:bounds[train_end]], words)', 'vocabulary = word_vocabulary(tokens, words)', 'tests/test_autocomplete_data.py::train_split_only'),
    ('karpathy_rnn/training/events.py', 'value.tag.startswith(("val/", "samples/"))', 'value.tag.startswith(("val/",))', 'tests/test_crash_safety.py::unrecorded'),
    # issue 32.13: the dynamic memory oracle's reading as an option (--memory-match)
    ('karpathy_rnn/analysis/oracles.py', '    if memory_match == "substring":\n        for w in', '    if memory_match in ("substring", "word"):\n        for w in', 'tests/test_analysis_oracles.py::readings_differ'),
    ('karpathy_rnn/analysis/oracles.py', '[len(w) >= LONG_WORD for w in strings]', '[len(w) > LONG_WORD for w in strings]', 'tests/test_analysis_oracles.py::four_or_more'),
    ('karpathy_rnn/analysis/oracles.py', 'start - last[word] <= longest', 'start - last[word] < longest', 'tests/test_analysis_oracles.py::exactly_n_characters_back_and_one_more and word'),
    ('karpathy_rnn/analysis/oracles.py', '        last[word] = start\n', '        last.setdefault(word, start)\n', 'tests/test_analysis_oracles.py::nearest_whole_word'),
    ('karpathy_rnn/analysis/oracles.py', 'return replace(peel(correct, masks), memory_match=memory_match)', 'return peel(correct, masks)', 'tests/test_analysis_oracles.py::readings_differ'),
    ('karpathy_rnn/analysis/oracles.py', 'max(memories, default=0), memory_match)', 'max(memories, default=0))', 'tests/test_analysis_oracles.py::readings_differ'),
    ('karpathy_rnn/analysis/oracles.py', 'MEMORY_MATCH = "substring" ', 'MEMORY_MATCH = "word" ', 'tests/test_analysis_oracles.py::default_memory_match'),
    ('karpathy_rnn/analysis/publish_oracles.py', '"memory_match": result.memory_match,', '"memory_match": "substring",', 'tests/test_analysis_oracles.py::recorded_in'),
    ('scripts/analyze.py', 'memory_match=args.memory_match)', 'memory_match=oracles.MEMORY_MATCH)', 'tests/test_analyze_oracles.py::memory_match_reading'),
    ('scripts/analyze.py', 'results[key] = oracles.breakdown(text, trace_correct_probabilities(traces[key]), ngram_correct, counts,', 'results[key] = oracles.breakdown(text, trace_correct_probabilities(trace), ngram_correct, counts,', 'tests/test_analyze_oracles.py::two_models'),
    ('scripts/nn.py', '    scored = "val_trace_loss_nats" if args.split == "val" else f"{args.split}_loss_nats"', '    scored = f"{args.split}_loss_nats"', 'tests/test_nn.py::table_2s_row'),
    # issue 33: the grid kept in the repository, differences between models
    ('karpathy_rnn/training/figure1.py', '            if name in seen:\n                continue\n', '', 'tests/test_figure1.py::logdir_first'),
    ('karpathy_rnn/training/figure1.py', 'GridCell(cell.corpus, BUDGETS[below], cell.unit, cell.layers) if below >= 0 else None]', 'GridCell(cell.corpus, BUDGETS[below], cell.unit, cell.layers) if below > 0 else None]', 'tests/test_figure1.py::differences_between_models'),
    ('karpathy_rnn/training/figure1.py', 'else cell.paper_test_loss - other.paper_test_loss)', 'else other.paper_test_loss - cell.paper_test_loss)', 'tests/test_figure1.py::differences_between_models'),
    ('karpathy_rnn/training/figure1.py', '"yes" if abs(gap) <= DIFFERENCE_TOLERANCE', '"yes" if gap <= DIFFERENCE_TOLERANCE', 'tests/test_figure1.py::differences_between_models'),
    ('karpathy_rnn/training/figure1.py', '"std": None if None in spreads else math.hypot(*spreads)})', '"std": None if None in spreads else sum(spreads)})', 'tests/test_figure1.py::differences_between_models'),
    ('scripts/grid.py', '            if args.keep and finished(read_results(os.path.join(args.keep, name)), args.epochs, args.max_steps):', '            if False:', 'tests/test_grid_script.py::kept_results'),
    ('scripts/grid.py', '    results = collect_results(logdir, *([keep] if keep else []))', '    results = collect_results(logdir)', 'tests/test_grid_script.py::kept_results'),
    ('scripts/nn.py', '    return results if same and sorted(int(h) for h in results.get("val_loss_nats", {})) == sizes else None', '    return results', 'tests/test_nn.py::keeps_small_results'),
    ('scripts/nn.py', 'SMALL_FILES = ("results.json", "h*/result.json")', 'SMALL_FILES = ("results.json",)', 'tests/test_nn.py::keeps_small_results'),
    ('scripts/nn.py', '            if args.keep:\n                keep_order(', '            if False:\n                keep_order(', 'tests/test_nn.py::keeps_small_results'),
    ('karpathy_rnn/layers/gru.py', '            candidate = ops.tanh(x_candidate + r * h_candidate)', '            candidate = ops.tanh(x_candidate + h_candidate)', 'tests/test_layers_conformance.py::float64'),
    ('karpathy_rnn/layers/gru.py', 'h_candidate + bias[2 * self.units:]', 'h_candidate', 'tests/test_layers_conformance.py::default_keras_gru'),
    ('karpathy_rnn/layers/gru.py', '        if self.reset_after:\n            return None ', '        if False:\n            return None ', 'tests/test_layers_conformance.py::default_keras_gru'),
    ('karpathy_rnn/layers/conversion.py', 'np.concatenate([rr, -rz, rh])', 'np.concatenate([rr, rz, rh])', 'tests/test_layers_conversion.py::from_keras_and_back'),
    ('karpathy_rnn/layers/conversion.py', 'np.concatenate([-rz, rr, rh])', 'np.concatenate([rz, rr, rh])', 'tests/test_layers_conversion.py::from_keras_and_back'),
    ('karpathy_rnn/layers/conversion.py', '        options["reset_after"] = cell.reset_after\n', '        options["reset_after"] = False\n', 'tests/test_layers_conversion.py::from_keras_and_back'),
    ('karpathy_rnn/layers/torch_conversion.py', '_LSTM_ROWS = [0, 1, 3, 2] ', '_LSTM_ROWS = [0, 1, 2, 3] ', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '    gate_kernel = np.concatenate([r, -z], axis=1)', '    gate_kernel = np.concatenate([r, z], axis=1)', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '    return [gate_kernel, np.concatenate([b_r, -b_z]), candidate, b_n, np.concatenate([h_r, -h_z, h_n])]', '    return [gate_kernel, np.concatenate([b_r, -b_z]), candidate, b_n, np.concatenate([h_r, h_z, h_n])]', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', 'bias = np.split(biases[0].astype(np.float64) + biases[1], 4)', 'bias = np.split(biases[0].astype(np.float64), 4)', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '    suffix = f"_l{layer}" + ("_reverse" if reverse else "")', '    suffix = f"_l{layer}"', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '        dropout = float(module.dropout) if layer < module.num_layers - 1 else 0.0', '        dropout = float(module.dropout)', 'tests/test_layers_torch.py::dropout_between_layers'),
    ('karpathy_rnn/layers/torch_conversion.py', '        out.update(bias_ih=np.concatenate([b_r, -b_z, values[3]]), bias_hh=np.concatenate([h_r, -h_z, h_n]))', '        out.update(bias_ih=np.concatenate([b_r, b_z, values[3]]), bias_hh=np.concatenate([h_r, -h_z, h_n]))', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '        input_dim = module.hidden_size * (2 if module.bidirectional else 1)', '        input_dim = module.hidden_size', 'tests/test_layers_torch.py::outputs_and_states'),
    ('karpathy_rnn/layers/torch_conversion.py', '    if any(not layer.reset_after for layer in gru):', '    if False:', 'tests/test_layers_torch.py::refuses_what_one'),
    ('karpathy_rnn/torch_char_lm.py', '    ours.get_layer("logits").set_weights([model.state[model.readout][order].T.copy(), bias[order]])', '    ours.get_layer("logits").set_weights([model.state[model.readout].T.copy(), bias])', 'tests/test_import_model.py::imports_with_torchs_loss and LSTM'),
    ('karpathy_rnn/torch_char_lm.py', '                 else model.state[model.embedding].astype(np.float64))[order]', '                 else model.state[model.embedding].astype(np.float64))', 'tests/test_import_model.py::imports_with_torchs_loss and LSTM'),
    ('scripts/import_model.py', 'torch_loss(model, order[ids])', 'torch_loss(model, ids)', 'tests/test_import_model.py::imports_with_torchs_loss and LSTM'),
    ('karpathy_rnn/torch_char_lm.py', '        embedding = None if not candidates and input_size == size else _pick(', '        embedding = None if input_size == size else _pick(', 'tests/test_import_model.py::describe_asks'),
    ('karpathy_rnn/show.py', '    state = state or ("c" if "c" in info.gates else "h")', '    state = state or "h"', 'tests/test_analyze_script.py::show_colored_text'),
    ('karpathy_rnn/show.py', '        values.append(gates[(info.name, state)][0, :, cell])', '        values.append(gates[(info.name, state)][0, :, 0])', 'tests/test_analyze_script.py::show_colored_text'),
    ('karpathy_rnn/show.py', '    return CellActivations(title, text, cell_values(np.concatenate(values), state), value_range(info.unit, state))', '    return CellActivations(title, text, cell_values(np.concatenate(values), state), (-1.0, 1.0))', 'tests/test_analyze_script.py::show_colored_text'),
    ('karpathy_rnn/show.py', '    if not 0 <= cell < layer.units:', '    if not 0 <= cell <= layer.units:', 'tests/test_analyze_script.py::color_refusals'),
    ('karpathy_rnn/analysis/agreement.py', '    reads, out = np.asarray(ids, np.int32)[:-1], []', '    reads, out = np.asarray(ids, np.int32)[1:], []', 'tests/test_analyze_oracles.py::agreement_of_three_runs'),
    ('karpathy_rnn/analysis/import_states.py', "    starts[words[1:]] = 1                       # a word's first character opens the next row", "    starts[words[:-1]] = 1                      # a word's first character opens the next row", 'tests/test_import_states.py::word_rows'),
    ('karpathy_rnn/analysis/import_states.py', '            first, last = int(block[0]) + skip_rows, int(block[-1]) + skip_rows + 1', '            first, last = int(block[0]), int(block[-1]) + 1', 'tests/test_import_states.py::skipped_rows'),
    ('karpathy_rnn/analysis/import_states.py', '                gates[(f"{unit}{array.layer}", array.gate)] = states[block - block[0]] if tokens == "words" else states', '                gates[(f"{unit}{array.layer}", array.gate)] = states', 'tests/test_import_states.py::word_states_are_spread'),
    ('karpathy_rnn/analysis/import_states.py', '            layer, gate = next_layer, CELL_STATE[unit]', '            layer, gate = next_layer, "h"', 'tests/test_import_states.py::an_lstmvis_file or dataset_specs'),
    ('karpathy_rnn/analysis/import_states.py', '    bad = ~np.isfinite(states) | (np.abs(states) > STORED_MAX)', '    bad = np.isnan(states)', 'tests/test_import_states.py::bad_states'),
    ('karpathy_rnn/analysis/import_states.py', '            if values.shape[0] - skip_rows != expected:', '            if values.shape[0] - skip_rows < expected:', 'tests/test_import_states.py::bad_states'),
    ('karpathy_rnn/analysis/import_states.py', '                                tuple(gate for gate in UNIT_GATES[unit] if gate in given)))', '                                tuple(given)))', 'tests/test_import_states.py::skipped_rows'),
    ('karpathy_rnn/analysis/import_states.py', '        start, stop, _ = rows.indices(self.shape[0])\n        self._file.seek(self._offset + start * self._row_bytes)', '        start, stop, _ = rows.indices(self.shape[0])\n        self._file.seek(self._offset)', 'tests/test_import_states.py::skipped_rows'),
    ('karpathy_rnn/analysis/trace.py', '        return preferred if preferred in info.gates or "h" not in info.gates else "h"', '        return preferred', 'tests/test_import_states.py::coloured_by_h or tensorboard_shows'),
    ('karpathy_rnn/sampling.py', '    if os.path.isfile(os.path.join(path, IMPORTED_STATES_FILE)):', '    if False:', 'tests/test_import_states.py::tensorboard_shows'),
    ('karpathy_rnn/analysis/saturation.py', '        SATURATION_GATES[layer.unit] and set(SATURATION_GATES[layer.unit]) <= set(layer.gates) for layer in layers))', '        SATURATION_GATES[layer.unit] for layer in layers))', 'tests/test_import_states.py::tensorboard_shows or emergence'),
    ('karpathy_rnn/analysis/probe.py', 'probabilities[np.arange(len(ids) - 1), ids[1:]].astype(np.float32))', 'probabilities[np.arange(len(ids) - 1), ids[:-1]].astype(np.float32))', 'tests/test_probe.py::own_values'),
    ('karpathy_rnn/analysis/probe.py', '            top = np.argsort(-probabilities, axis=-1, kind="stable")[:, :TOP]', '            top = np.argsort(probabilities, axis=-1, kind="stable")[:, :TOP]', 'tests/test_probe.py::own_values'),
    ('karpathy_rnn/analysis/probe.py', '        target = int(reading.top_ids[position, 0])', '        target = int(reading.top_ids[position, 1])', 'tests/test_probe.py::own_values'),
    ('karpathy_rnn/analysis/probe.py', '        if len(text) > self.limit:', '        if len(text) > self.limit + 1:', 'tests/test_probe.py::bad_probes'),
    ('karpathy_rnn/analysis/probe.py', '        if not 0 <= position < len(text):', '        if not 0 <= position <= len(text):', 'tests/test_probe.py::bad_connectivity'),
    ('tb_plugin/plugin.py', '        if folder != root and not folder.startswith(root + os.sep):\n            return None', '        if False:\n            return None', 'tests/test_probe.py::only_inside'),
    ('tb_plugin/plugin.py', '            if folder == root or folder == os.path.dirname(folder):      # the logdir, or the file system\'s root\n                return None', '            if True:\n                return None', 'tests/test_probe.py::say_which'),
    ('tb_plugin/static/views/probe.js', '        const value = i <= index ? (data.values[i] || 0) / largest : 0;', '        const value = i <= index ? (data.values[i] || 0) : 0;', 'tests/test_probe.py::text_box'),
    ('tb_plugin/static/views/probe.js', '    readout.textContent = `"${visibleLabel(characters[index])}" (character', '    readout.textContent = `"${visibleLabel(characters[index + 1])}" (character', 'tests/test_probe.py::text_box'),
    ('karpathy_rnn/show.py', '    shade = values / max(float(values.max()), 1e-30)', '    shade = values', 'tests/test_show_views.py::connectivity'),
    ('karpathy_rnn/show.py', '    target = int(best[position, 0])', '    target = int(best[position - 1, 0])', 'tests/test_show_views.py::connectivity'),
    ('karpathy_rnn/show.py', 'f\'title="{float(values[index]) if index <= position else 0.0:.4g}">{html.escape(shown)}</span>\')', 'f\'title="{float(values[index]) if index <= position else 0.0:.4g}">{shown}</span>\')', 'tests/test_show_views.py::connectivity'),
    ('karpathy_rnn/show.py', 'f"<td>{100 * row[\'share\']:.1f}%</td></tr>"', 'f"<td>{row[\'share\']:.1f}%</td></tr>"', 'tests/test_show_views.py::oracles'),
    ('karpathy_rnn/show.py', '    claims = "".join(f"<li>{html.escape(claim)}</li>" for claim in describe_claims(report))', '    claims = "".join(f"<li>{claim}</li>" for claim in describe_claims(report))', 'tests/test_show_views.py::saturation'),
    ('karpathy_rnn/layers/minimal.py', '    return a1 + a2, ops.logaddexp(b1 + a2, b2)', '    return a1 + a2, ops.logaddexp(b1 + a1, b2)', 'tests/test_layers_minimal.py::papers_equations'),
    ('karpathy_rnn/layers/minimal.py', '    return ops.exp(log_h) + h0[None] * ops.exp(cumulative_a)', '    return ops.exp(log_h)', 'tests/test_layers_minimal.py::papers_equations'),
    ('karpathy_rnn/layers/minimal.py', '    return ops.where(x >= 0, ops.log(ops.maximum(x, 0.0) + 0.5), -ops.softplus(-x))', '    return ops.where(x >= 0, ops.log(ops.maximum(x, 0.0) + 1.0), -ops.softplus(-x))', 'tests/test_layers_minimal.py::papers_equations'),
    ('karpathy_rnn/layers/minimal.py', '        log_f_norm, log_i_norm = -ops.softplus(log_i - log_f), -ops.softplus(log_f - log_i)', '        log_f_norm, log_i_norm = -ops.softplus(log_f - log_i), -ops.softplus(log_i - log_f)', 'tests/test_layers_minimal.py::papers_equations'),
    ('karpathy_rnn/layers/minimal.py', '        log_keep, log_z = -ops.softplus(x_z), -ops.softplus(-x_z)     # log(1 - z), log z', '        log_keep, log_z = -ops.softplus(-x_z), -ops.softplus(x_z)     # log(1 - z), log z', 'tests/test_layers_minimal.py::papers_equations'),
    ('karpathy_rnn/layers/minimal.py', '        if time_mask is not None or self.unroll:', '        if self.unroll:', 'tests/test_layers_minimal.py::the_layer_contract'),
    ('karpathy_rnn/layers/minimal.py', '        f_norm, i_norm = f / (f + i), i / (f + i)', '        f_norm, i_norm = f / (f + i), f / (f + i)', 'tests/test_layers_minimal.py::papers_equations'),
]


# --before: where each bug's tests lived before issue 18 added the file named in its entry
EARLIER_TESTS = {"tests/test_analysis_outputs.py": "tests/test_analysis_trace.py tests/test_render_and_summary.py",
                 "tests/test_sampling.py": "tests/test_sample_export.py",
                 "tests/test_packaging.py": "tests/test_first_hour.py",
                 "tests/test_training_recipe.py": "tests/test_train.py",
                 "tests/test_plugin_static.py": "tests/test_plugin_browser.py"}


def tree_files(root: str = REPO) -> list[str]:
    """The files of the tree at `root`: as git sees them (tracked and untracked, ignored ones left out)."""
    if root != REPO:
        return [os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names]
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return [f for f in out.split("\0") if f and os.path.isfile(os.path.join(REPO, f))]


def plant(files: list[str], path: str, old: str, new: str, folder: str, root: str = REPO) -> None:
    """Copy the tree at `root` into `folder` with `old` replaced by `new` in `path` (which must hold `old` once)."""
    for name in files:
        target = os.path.join(folder, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(root, name), target)
    with open(os.path.join(folder, path), encoding="utf-8") as f:
        src = f.read()
    if src.count(old) != 1:
        raise SystemExit(f"{path}: the original text of a planted bug occurs {src.count(old)} times, not once: "
                         f"{old[:70]!r}; update benchmarks/mutations.py")
    with open(os.path.join(folder, path), "w", encoding="utf-8") as f:
        f.write(src.replace(old, new))


def run_one(files: list[str], mutant: tuple, root: str = REPO, whole_files: bool = False) -> tuple[str, float]:
    """Plant one bug in a fresh copy of `root`, run its tests there (with `whole_files`, every test of their
    files); returns (the failing test, SURVIVED or why not run, seconds)."""
    path, old, new, spec = mutant
    tests, k = spec.split("::", 1) if "::" in spec else ("tests/test_layers_conformance.py", spec)
    if whole_files:
        tests = tests if tests in files else EARLIER_TESTS.get(tests, "")
        tests = " ".join(t for t in tests.split() if t in files)
        if not tests:
            return "no test file then", 0.0
    if path not in files:
        return "no such file then", 0.0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="krnn-mutant-") as folder:
        try:
            plant(files, path, old, new, folder, root)
        except SystemExit:
            if not whole_files:
                raise
            return "code differed then", 0.0
        env = {**os.environ, "PYTHONPATH": folder, "KRNN_DATA_DIR": SHARED_DATA, "TF_CPP_MIN_LOG_LEVEL": "2"}
        selection = [] if whole_files else ["-k", k]
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rf",
                            *tests.split(), *selection], capture_output=True, text=True, cwd=folder, env=env)
    seconds = time.perf_counter() - start
    if r.returncode == 0:
        return "SURVIVED", seconds
    if r.returncode == 5:
        return "NO TESTS SELECTED (fix the entry)", seconds
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", r.stdout, re.M)
    return (failed.group(1) if failed else f"exit {r.returncode}"), seconds


def label(mutant: tuple) -> str:
    """One line naming a planted bug: file, the original text and the bug (each shortened)."""
    path, old, new, _ = mutant

    def short(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= 48 else text[:45] + "..."
    return f"{path}: {short(old)} -> {short(new) or '(deleted)'}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="keep the bugs whose file or label contains one of these")
    parser.add_argument("--jobs", type=int, default=1, help="bugs run at once (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="list the bugs and their tests, run nothing")
    parser.add_argument("--before", metavar="COMMIT", help="plant the bugs in COMMIT's tree instead and run every "
                        "test of the named test files (or of the files that held those tests then): what the suite "
                        "caught before")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(s in label(m) for s in args.only)]
    if args.list:
        for m in chosen:
            print(f"{label(m)}  ->  {m[3]}")
        return 0
    with tempfile.TemporaryDirectory(prefix="krnn-before-") as earlier:
        root = REPO
        if args.before:
            archive = subprocess.run(["git", "archive", args.before], cwd=REPO, check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", earlier], input=archive.stdout, check=True)
            root = earlier
        return _run_table(chosen, tree_files(root), root, args)


def _run_table(chosen: list[tuple], files: list[str], root: str, args) -> int:
    """Run the chosen bugs and print the table; 1 if any survived."""
    print("| # | planted bug | caught by | s |\n|---:|---|---|---:|", flush=True)
    survived = 0
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = pool.map(lambda m: run_one(files, m, root, whole_files=bool(args.before)), chosen)
        for i, (m, (caught, seconds)) in enumerate(zip(chosen, outcomes), 1):
            survived += not caught.startswith("tests/")
            shown = label(m).replace("|", "\\|")
            print(f"| {i} | {shown} | {caught} | {seconds:.0f} |", flush=True)
    print(f"\n{len(chosen) - survived} of {len(chosen)} caught", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
