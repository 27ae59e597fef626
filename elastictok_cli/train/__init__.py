"""Training: data, elastic masking, the train step, checkpoints, evaluation and export."""
