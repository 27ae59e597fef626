"""The ElasticTok model: patching, transformers, bottlenecks, streaming with a key/value cache."""
