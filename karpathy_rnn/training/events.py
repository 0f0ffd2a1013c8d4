"""A resumed run's TensorBoard events: the steps a killed process logged after its last checkpoint are taken out of
the run's events files before they are replayed, so TensorBoard (either reader) shows each step once."""

from __future__ import annotations

import glob
import os

EVENTS_PATTERN = "events.out.tfevents.*"
REWRITE_TEMP = ".events-rewrite.tmp"     # an events file being rewritten; renamed over it when complete


def _orphaned(event, step: int, evaluated_at_step: bool) -> bool:
    """Whether `event` was logged after the checkpoint at `step` (an evaluation at `step` itself counts when the
    checkpoint does not record it)."""
    if not event.HasField("summary") or event.step < step:
        return False
    if event.step > step:
        return True
    return not evaluated_at_step and any(value.tag.startswith(("val/", "samples/")) for value in event.summary.value)


def drop_replayed_events(run_dir: str, step: int, evaluated_at_step: bool) -> int:
    """Remove from the events files directly in run_dir (not its sub-runs) every summary logged after the checkpoint
    at `step`; returns how many events went. Each file is rewritten beside itself and renamed over it, so a kill
    leaves the old file or the new one; a truncated last record (a kill mid-write) is dropped too."""
    import tensorflow as tf

    from tensorboard.compat.proto import event_pb2

    removed = 0
    for path in sorted(glob.glob(os.path.join(run_dir, EVENTS_PATTERN))):
        kept, dropped, truncated = [], 0, False
        try:
            for record in tf.data.TFRecordDataset(path):
                event = event_pb2.Event.FromString(record.numpy())
                if _orphaned(event, step, evaluated_at_step):
                    dropped += 1
                else:
                    kept.append(record.numpy())
        except tf.errors.DataLossError:
            truncated = True                      # the process died writing the last record: it is lost anyway
        if not dropped and not truncated:
            continue
        temp = os.path.join(run_dir, REWRITE_TEMP)
        with tf.io.TFRecordWriter(temp) as writer:
            for record in kept:
                writer.write(record)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())             # on disk before it replaces the old file
        os.replace(temp, path)
        removed += dropped
    return removed
