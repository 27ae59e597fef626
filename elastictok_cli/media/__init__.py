"""Media input and output through PyAV: video and image frames in, frames out."""
