"""Recommender benchmarks: the evaluation table on MovieLens and training time at scale."""
